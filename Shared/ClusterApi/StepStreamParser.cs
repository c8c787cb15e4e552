using System.Buffers;
using Google.Protobuf;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// Reads a serialized Step stream message (<see cref="StepStreamFields"/>) without parsing its vector piece into a
/// message object, so the piece's values (up to 1 MiB) are not copied into a fresh array per piece: the caller copies
/// them once, where they go. The small ordinary message is parsed as usual. Follows protobuf's rules: fields in any
/// order, unknown fields skipped, the last of a repeated scalar wins, an embedded message given twice is merged, and a
/// oneof field replaces the other.
/// </summary>
public static class StepStreamParser
{
    // Tags of the piece's fields: field number << 3 | wire type.
    private const ulong OffsetTag = (1 << 3) | WireReader.Varint;
    private const ulong ValuesTag = (2 << 3) | WireReader.LengthDelimited;

    /// <summary>Reads the fields of <paramref name="message"/>.</summary>
    /// <param name="message">A serialized StepRequest or StepResponse.</param>
    /// <param name="fields">Which of the two, by its oneof's fields.</param>
    /// <param name="view">What it holds; absent fields have their proto3 defaults.</param>
    /// <returns>Null on success, else why the bytes are not the message.</returns>
    public static string? TryParse<TMessage>(ReadOnlySequence<byte> message, StepStreamFields fields, out StepStreamView<TMessage> view)
        where TMessage : class, IMessage<TMessage>, new()
    {
        ArgumentNullException.ThrowIfNull(fields);
        view = default;
        ulong pieceTag = ((ulong)fields.PieceField << 3) | WireReader.LengthDelimited;
        ulong messageTag = ((ulong)fields.MessageField << 3) | WireReader.LengthDelimited;
        var reader = new SequenceReader<byte>(message);
        int field = 0;
        long offset = 0;
        ReadOnlySequence<byte> values = ReadOnlySequence<byte>.Empty;
        TMessage? parsed = null;
        while (!reader.End)
        {
            long at = reader.Consumed;
            if (!WireReader.TryReadVarint(ref reader, out ulong tag) || (tag >> 3) == 0)
            {
                return $"bad field tag at byte {at}";
            }

            if (tag == pieceTag)
            {
                if (!WireReader.TryReadLengthDelimited(ref reader, out ReadOnlySequence<byte> piece))
                {
                    return $"{fields.PieceName} at byte {at} runs past the end";
                }

                if (field != fields.PieceField)
                {
                    (field, offset, values, parsed) = (fields.PieceField, 0, ReadOnlySequence<byte>.Empty, null);
                }

                if (ReadPiece(piece, reader.Consumed - piece.Length, fields.PieceName, ref offset, ref values) is { } malformed)
                {
                    return malformed;
                }
            }
            else if (tag == messageTag)
            {
                if (!WireReader.TryReadLengthDelimited(ref reader, out ReadOnlySequence<byte> bytes))
                {
                    return $"{fields.MessageName} at byte {at} runs past the end";
                }

                if (field != fields.MessageField)
                {
                    (field, offset, values, parsed) = (fields.MessageField, 0, ReadOnlySequence<byte>.Empty, new TMessage());
                }

                try
                {
                    parsed!.MergeFrom(bytes);
                }
                catch (InvalidProtocolBufferException error)
                {
                    return $"{fields.MessageName} at byte {at}: {error.Message}";
                }
            }
            else if (WireReader.SkipField(ref reader, tag) is { } problem)
            {
                return $"field {tag >> 3} at byte {at}: {problem}";
            }
        }

        view = new StepStreamView<TMessage>(field, offset, values, parsed);
        return null;
    }

    /// <summary>Reads a piece's fields into <paramref name="offset"/> and <paramref name="values"/> (merging).</summary>
    /// <param name="start">Where the piece starts in the whole message, for the problems.</param>
    private static string? ReadPiece(ReadOnlySequence<byte> piece, long start, string name, ref long offset, ref ReadOnlySequence<byte> values)
    {
        var reader = new SequenceReader<byte>(piece);
        while (!reader.End)
        {
            long at = start + reader.Consumed;
            if (!WireReader.TryReadVarint(ref reader, out ulong tag) || (tag >> 3) == 0)
            {
                return $"bad field tag at byte {at}";
            }

            switch (tag)
            {
                case OffsetTag:
                    if (!WireReader.TryReadVarint(ref reader, out ulong value))
                    {
                        return $"{name}.offset at byte {at} is a truncated varint";
                    }

                    offset = (long)value;
                    break;
                case ValuesTag:
                    if (!WireReader.TryReadLengthDelimited(ref reader, out values))
                    {
                        return $"{name}.values at byte {at} runs past the end";
                    }

                    break;
                default:
                    if (WireReader.SkipField(ref reader, tag) is { } problem)
                    {
                        return $"{name} field {tag >> 3} at byte {at}: {problem}";
                    }

                    break;
            }
        }

        return null;
    }
}
