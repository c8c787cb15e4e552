using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// Serializes Step stream messages (<see cref="StepStreamFields"/>) for grpc-dotnet marshallers, straight into the
/// call's buffer (<see cref="SerializationContext.GetBufferWriter"/> after <see cref="SerializationContext.SetPayloadLength"/>,
/// so the transport writes into its own frame buffer): a vector piece from the vector's memory in one copy, without a
/// ByteString or an intermediate array. The bytes are those the generated serializer writes for the same message.
/// </summary>
public static class StepStreamWriter
{
    private const int OffsetField = 1;
    private const int ValuesField = 2;

    /// <summary>Writes the message holding the piece <paramref name="values"/> at <paramref name="offset"/>.</summary>
    public static void WritePiece(SerializationContext context, StepStreamFields fields, long offset, ReadOnlySpan<byte> values)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(fields);
        // proto3: fields holding their default are not written.
        int body = (offset != 0 ? WireWriter.VarintFieldSize(OffsetField, (ulong)offset) : 0)
            + (values.IsEmpty ? 0 : WireWriter.LengthDelimitedSize(ValuesField, values.Length));
        context.SetPayloadLength(WireWriter.LengthDelimitedSize(fields.PieceField, body));
        IBufferWriter<byte> writer = context.GetBufferWriter();
        Span<byte> head = writer.GetSpan(4 * WireWriter.MaxVarintBytes);
        int written = WireWriter.WriteLengthPrefix(head, fields.PieceField, body);
        if (offset != 0)
        {
            written += WireWriter.WriteVarintField(head[written..], OffsetField, (ulong)offset);
        }

        if (!values.IsEmpty)
        {
            written += WireWriter.WriteLengthPrefix(head[written..], ValuesField, values.Length);
        }

        writer.Advance(written);
        writer.Write(values);
        context.Complete();
    }

    /// <summary>Writes the message holding the ordinary <paramref name="message"/>.</summary>
    public static void WriteMessage(SerializationContext context, StepStreamFields fields, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(message);
        int size = message.CalculateSize();
        context.SetPayloadLength(WireWriter.LengthDelimitedSize(fields.MessageField, size));
        IBufferWriter<byte> writer = context.GetBufferWriter();
        writer.Advance(WireWriter.WriteLengthPrefix(writer.GetSpan(2 * WireWriter.MaxVarintBytes), fields.MessageField, size));
        message.WriteTo(writer);
        context.Complete();
    }
}
