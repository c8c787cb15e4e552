using System.Buffers;
using Grpc.Core;

namespace DistributedTrainer.Tests.ClusterApi;

/// <summary>
/// A serialization context that keeps what a marshaller writes, like grpc-dotnet's: the length announced with
/// <see cref="SetPayloadLength"/>, the bytes written through <see cref="GetBufferWriter"/>, then <see cref="Complete()"/>.
/// </summary>
internal sealed class BufferSerializationContext : SerializationContext
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    /// <summary>The length the marshaller announced; null when it did not.</summary>
    public int? PayloadLength { get; private set; }

    public bool Completed { get; private set; }

    public byte[] Written => _buffer.WrittenSpan.ToArray();

    /// <summary>What <paramref name="serializer"/> writes for <paramref name="message"/>.</summary>
    public static BufferSerializationContext Serialize<T>(Marshaller<T> marshaller, T message)
    {
        var context = new BufferSerializationContext();
        marshaller.ContextualSerializer(message, context);
        return context;
    }

    public override void SetPayloadLength(int payloadLength) => PayloadLength = payloadLength;

    public override IBufferWriter<byte> GetBufferWriter() => _buffer;

    public override void Complete() => Completed = true;

    public override void Complete(byte[] payload)
    {
        _buffer.Write(payload);
        Completed = true;
    }
}
