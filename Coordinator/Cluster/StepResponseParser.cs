using System.Buffers;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Reads a serialized trainer.v1.StepResponse without parsing its gradient piece into a message object, so the
/// piece's values (up to 1 MiB, about 1.9 MB per step on the reference job) are not copied into a fresh array per
/// piece: the caller copies them once, into its fixed-point sums. The small StepResult is parsed as usual. Follows
/// protobuf's rules: fields in any order, unknown fields skipped, the last of a repeated scalar wins, an embedded
/// message given twice is merged, and a oneof field replaces the other.
/// </summary>
internal static class StepResponseParser
{
    // Tags: field number << 3 | wire type, as in cluster.proto.
    private const ulong GradientsTag = (1 << 3) | WireReader.LengthDelimited;
    private const ulong ResultTag = (2 << 3) | WireReader.LengthDelimited;
    private const ulong OffsetTag = (1 << 3) | WireReader.Varint;
    private const ulong ValuesTag = (2 << 3) | WireReader.LengthDelimited;

    /// <summary>Reads the fields of <paramref name="message"/>.</summary>
    /// <param name="message">A serialized StepResponse.</param>
    /// <param name="response">What it holds; absent fields have their proto3 defaults.</param>
    /// <returns>Null on success, else why the bytes are not a StepResponse.</returns>
    public static string? TryParse(ReadOnlySequence<byte> message, out StepResponseView response)
    {
        response = default;
        var reader = new SequenceReader<byte>(message);
        var kind = StepResponse.KindOneofCase.None;
        long offset = 0;
        ReadOnlySequence<byte> values = ReadOnlySequence<byte>.Empty;
        StepResult? result = null;
        while (!reader.End)
        {
            long at = reader.Consumed;
            if (!WireReader.TryReadVarint(ref reader, out ulong tag) || (tag >> 3) == 0)
            {
                return $"bad field tag at byte {at}";
            }

            switch (tag)
            {
                case GradientsTag:
                    if (!WireReader.TryReadLengthDelimited(ref reader, out ReadOnlySequence<byte> piece))
                    {
                        return $"gradients at byte {at} runs past the end";
                    }

                    if (kind != StepResponse.KindOneofCase.Gradients)
                    {
                        (kind, offset, values, result) = (StepResponse.KindOneofCase.Gradients, 0, ReadOnlySequence<byte>.Empty, null);
                    }

                    if (ReadPiece(piece, reader.Consumed - piece.Length, ref offset, ref values) is { } malformed)
                    {
                        return malformed;
                    }

                    break;
                case ResultTag:
                    if (!WireReader.TryReadLengthDelimited(ref reader, out ReadOnlySequence<byte> bytes))
                    {
                        return $"result at byte {at} runs past the end";
                    }

                    if (kind != StepResponse.KindOneofCase.Result)
                    {
                        (kind, offset, values, result) = (StepResponse.KindOneofCase.Result, 0, ReadOnlySequence<byte>.Empty, new StepResult());
                    }

                    try
                    {
                        result!.MergeFrom(bytes);
                    }
                    catch (InvalidProtocolBufferException error)
                    {
                        return $"result at byte {at}: {error.Message}";
                    }

                    break;
                default:
                    if (WireReader.SkipField(ref reader, tag) is { } problem)
                    {
                        return $"field {tag >> 3} at byte {at}: {problem}";
                    }

                    break;
            }
        }

        response = new StepResponseView(kind, offset, values, result);
        return null;
    }

    /// <summary>Reads a GradientPiece's fields into <paramref name="offset"/> and <paramref name="values"/> (merging).</summary>
    /// <param name="start">Where the piece starts in the whole message, for the messages.</param>
    private static string? ReadPiece(ReadOnlySequence<byte> piece, long start, ref long offset, ref ReadOnlySequence<byte> values)
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
                        return $"gradients.offset at byte {at} is a truncated varint";
                    }

                    offset = (long)value;
                    break;
                case ValuesTag:
                    if (!WireReader.TryReadLengthDelimited(ref reader, out values))
                    {
                        return $"gradients.values at byte {at} runs past the end";
                    }

                    break;
                default:
                    if (WireReader.SkipField(ref reader, tag) is { } problem)
                    {
                        return $"gradients field {tag >> 3} at byte {at}: {problem}";
                    }

                    break;
            }
        }

        return null;
    }
}
