using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// Serializes Step stream messages (<see cref="StepStreamFields"/>) for grpc-dotnet marshallers, straight into the
/// call's buffer (<see cref="SerializationContext.GetBufferWriter"/> after <see cref="SerializationContext.SetPayloadLength"/>,
/// so the transport writes into its own frame buffer): a vector piece from the vector's memory in one copy, without a
/// ByteString or an intermediate array; or into a span, a piece's values left out to follow from where they lie (a
/// worker's direct calls). The bytes are those the generated serializer writes for the same message.
/// </summary>
public static class StepStreamWriter
{
    private const int OffsetField = 1;
    private const int ValuesField = 2;

    /// <summary>The most bytes <see cref="WritePieceHead"/> writes.</summary>
    public const int PieceHeadBytes = 4 * WireWriter.MaxVarintBytes;

    /// <summary>Writes the message holding the piece <paramref name="values"/> at <paramref name="offset"/>.</summary>
    public static void WritePiece(SerializationContext context, StepStreamFields fields, long offset, ReadOnlySpan<byte> values)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(fields);
        context.SetPayloadLength(PieceSize(fields, offset, values.Length));
        IBufferWriter<byte> writer = context.GetBufferWriter();
        writer.Advance(WritePieceHead(writer.GetSpan(PieceHeadBytes), fields, offset, values.Length));
        writer.Write(values);
        context.Complete();
    }

    /// <summary>
    /// Writes the bytes of the piece message at <paramref name="offset"/> that come before its <paramref name="valuesBytes"/>
    /// bytes of values, so that the values can follow from where they lie; returns the bytes written.
    /// </summary>
    public static int WritePieceHead(Span<byte> destination, StepStreamFields fields, long offset, int valuesBytes)
    {
        ArgumentNullException.ThrowIfNull(fields);
        int written = WireWriter.WriteLengthPrefix(destination, fields.PieceField, PieceBodySize(offset, valuesBytes));
        if (offset != 0)
        {
            written += WireWriter.WriteVarintField(destination[written..], OffsetField, (ulong)offset);
        }

        if (valuesBytes != 0)
        {
            written += WireWriter.WriteLengthPrefix(destination[written..], ValuesField, valuesBytes);
        }

        return written;
    }

    private static int PieceSize(StepStreamFields fields, long offset, int valuesBytes) =>
        WireWriter.LengthDelimitedSize(fields.PieceField, PieceBodySize(offset, valuesBytes));

    // proto3: fields holding their default are not written.
    private static int PieceBodySize(long offset, int valuesBytes) =>
        (offset != 0 ? WireWriter.VarintFieldSize(OffsetField, (ulong)offset) : 0)
        + (valuesBytes == 0 ? 0 : WireWriter.LengthDelimitedSize(ValuesField, valuesBytes));

    /// <summary>Writes the message holding the ordinary <paramref name="message"/>.</summary>
    public static void WriteMessage(SerializationContext context, StepStreamFields fields, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(context);
        int size = MessageSize(fields, message);
        context.SetPayloadLength(size);
        IBufferWriter<byte> writer = context.GetBufferWriter();
        writer.Advance(WriteMessage(writer.GetSpan(size), fields, message));
        context.Complete();
    }

    /// <summary>The bytes <see cref="WriteMessage(Span{byte}, StepStreamFields, IMessage)"/> writes for <paramref name="message"/>.</summary>
    public static int MessageSize(StepStreamFields fields, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(message);
        return WireWriter.LengthDelimitedSize(fields.MessageField, message.CalculateSize());
    }

    /// <summary>Writes the message holding the ordinary <paramref name="message"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteMessage(Span<byte> destination, StepStreamFields fields, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(message);
        int size = message.CalculateSize();
        int written = WireWriter.WriteLengthPrefix(destination, fields.MessageField, size);
        message.WriteTo(destination.Slice(written, size));
        return written + size;
    }
}
