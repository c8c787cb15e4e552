using Google.Protobuf;
using Grpc.Core;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// The grpc-dotnet marshallers of the hand-declared methods of the cluster API (those whose bulk messages are read
/// and written without a message object): ordinary protobuf messages, and message types that one side only writes or
/// only reads (the other side of the same method has a type of its own).
/// </summary>
public static class ClusterMarshallers
{
    /// <summary>A generated message, serialized straight into the call's buffer, as generated stubs do.</summary>
    public static Marshaller<T> Protobuf<T>(MessageParser<T> parser) where T : class, IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        return Marshallers.Create<T>(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
    }

    /// <summary>A message type this side only sends; reading one is a programming error.</summary>
    public static Marshaller<T> WriteOnly<T>(Action<T, SerializationContext> serializer) where T : class =>
        Marshallers.Create(serializer, _ => throw new NotSupportedException($"{typeof(T).Name} is only sent, never received"));

    /// <summary>A message type this side only receives; sending one is a programming error.</summary>
    public static Marshaller<T> ReadOnly<T>(Func<DeserializationContext, T> deserializer) where T : class =>
        Marshallers.Create<T>((_, _) => throw new NotSupportedException($"{typeof(T).Name} is only received, never sent"), deserializer);
}
