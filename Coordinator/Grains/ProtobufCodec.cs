using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Serializers;
using Orleans.Serialization.WireProtocol;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Orleans serialization and deep copies of every protobuf message (<see cref="IMessage"/>), so grain calls take and
/// return the API's own messages (JobSpec, Job, JobEvent): a message travels as its type and its protobuf bytes, and
/// is copied with its generated Clone. Orleans ships codecs for JSON and MessagePack only.
/// </summary>
[Alias("dt.protobuf")]
internal sealed class ProtobufCodec : IGeneralizedCodec, IGeneralizedCopier, ITypeFilter
{
    private static readonly Type SelfType = typeof(ProtobufCodec);
    private static readonly ConcurrentDictionary<Type, MessageParser> Parsers = new();

    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [AllowNull] Type expectedType, [AllowNull] object value)
        where TBufferWriter : System.Buffers.IBufferWriter<byte>
    {
        if (ReferenceCodec.TryWriteReferenceField(ref writer, fieldIdDelta, expectedType, value))
        {
            return;
        }
        writer.WriteFieldHeader(fieldIdDelta, expectedType, SelfType, WireType.TagDelimited);
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeaderExpected(0, WireType.LengthPrefixed);
        writer.Session.TypeCodec.WriteLengthPrefixed(ref writer, value!.GetType());
        byte[] payload = ((IMessage)value).ToByteArray();
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeaderExpected(1, WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)payload.Length);
        writer.Write(payload);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public object ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        if (field.IsReference)
        {
            return ReferenceCodec.ReadReference(ref reader, field.FieldType)!;
        }
        field.EnsureWireTypeTagDelimited();
        uint placeholder = ReferenceCodec.CreateRecordPlaceholder(reader.Session);
        Type? type = null;
        IMessage? result = null;
        uint fieldId = 0;
        while (true)
        {
            var header = reader.ReadFieldHeader();
            if (header.IsEndBaseOrEndObject)
            {
                break;
            }
            fieldId += header.FieldIdDelta;
            switch (fieldId)
            {
                case 0:
                    ReferenceCodec.MarkValueField(reader.Session);
                    type = reader.Session.TypeCodec.ReadLengthPrefixed(ref reader);
                    break;
                case 1:
                    ReferenceCodec.MarkValueField(reader.Session);
                    if (type is null)
                    {
                        throw new RequiredFieldMissingException("Invalid protobuf field: its message type comes first and is missing.");
                    }
                    byte[] payload = reader.ReadBytes(reader.ReadVarUInt32());
                    result = ParserOf(type).ParseFrom(payload);
                    break;
                default:
                    reader.ConsumeUnknownField(header);
                    break;
            }
        }
        if (result is null)
        {
            throw new RequiredFieldMissingException($"Invalid protobuf field of type {type?.Name ?? "(none)"}: the payload is missing.");
        }
        ReferenceCodec.RecordObject(reader.Session, result, placeholder);
        return result;
    }

    /// <inheritdoc />
    [return: NotNullIfNotNull(nameof(input))]
    public object? DeepCopy(object? input, CopyContext context)
    {
        if (input is null)
        {
            return null;
        }
        if (context.TryGetCopy(input, out object? copy))
        {
            return copy!;
        }
        var message = (IMessage)input;
        copy = ParserOf(input.GetType()).ParseFrom(message.ToByteString());
        context.RecordCopy(input, copy);
        return copy;
    }

    bool IGeneralizedCodec.IsSupportedType(Type type) => type == SelfType || IsMessage(type);

    bool IGeneralizedCopier.IsSupportedType(Type type) => IsMessage(type);

    /// <inheritdoc />
    public bool? IsTypeAllowed(Type type) => IsMessage(type) ? true : null;

    private static bool IsMessage(Type type) => !type.IsAbstract && typeof(IMessage).IsAssignableFrom(type);

    private static MessageParser ParserOf(Type type) => Parsers.GetOrAdd(type, messageType =>
        ((IMessage)(Activator.CreateInstance(messageType)
            ?? throw new InvalidOperationException($"Invalid protobuf message type {messageType.Name}: no parameterless constructor"))).Descriptor.Parser);
}
