using System.Buffers;
using System.Text;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// Reads a serialized trainer.v1.RingChunk without parsing it into a message object, so the payload is not
/// copied into a fresh array per piece: the ring adds or copies it into place from where it lies. Follows protobuf's
/// rules for what it reads: fields in any order, the last of a repeated field wins, unknown fields (and known
/// numbers with another wire type) are skipped.
/// </summary>
internal static class RingChunkParser
{
    // Tags: field number << 3 | wire type (0 varint, 2 length-delimited), as in collective.proto.
    private const ulong JobIdTag = (1 << 3) | 2;
    private const ulong StepTag = 2 << 3;
    private const ulong PhaseTag = 3 << 3;
    private const ulong RoundTag = 4 << 3;
    private const ulong ChunkIndexTag = 5 << 3;
    private const ulong OffsetTag = 6 << 3;
    private const ulong PayloadTag = (7 << 3) | 2;
    private const ulong FromRankTag = 8 << 3;
    private const ulong EncodingTag = 9 << 3;
    private const ulong SharedMemoryTag = 10 << 3;

    /// <summary>Reads the fields of <paramref name="message"/>.</summary>
    /// <param name="message">A serialized RingChunk.</param>
    /// <param name="chunk">The fields; fields absent from the message have their proto3 defaults.</param>
    /// <returns>Null on success, else why the bytes are not a RingChunk.</returns>
    public static string? TryParse(ReadOnlySequence<byte> message, out RingChunkView chunk)
    {
        chunk = default;
        var reader = new SequenceReader<byte>(message);
        string jobId = string.Empty;
        long step = 0;
        long offset = 0;
        int phase = 0;
        int round = 0;
        int chunkIndex = 0;
        int fromRank = 0;
        int encoding = 0;
        bool sharedMemory = false;
        ReadOnlySequence<byte> payload = ReadOnlySequence<byte>.Empty;
        while (!reader.End)
        {
            long at = reader.Consumed;
            if (!WireReader.TryReadVarint(ref reader, out ulong tag) || (tag >> 3) == 0)
            {
                return $"bad field tag at byte {at}";
            }

            switch (tag)
            {
                case JobIdTag:
                    if (!WireReader.TryReadLengthDelimited(ref reader, out ReadOnlySequence<byte> text))
                    {
                        return $"job_id at byte {at} runs past the end";
                    }

                    jobId = Encoding.UTF8.GetString(text);
                    break;
                case PayloadTag:
                    if (!WireReader.TryReadLengthDelimited(ref reader, out payload))
                    {
                        return $"payload at byte {at} runs past the end";
                    }

                    break;
                case StepTag or PhaseTag or RoundTag or ChunkIndexTag or OffsetTag or FromRankTag or EncodingTag or SharedMemoryTag:
                    if (!WireReader.TryReadVarint(ref reader, out ulong value))
                    {
                        return $"field {tag >> 3} at byte {at} is a truncated varint";
                    }

                    // int32 and enum fields keep the low 32 bits, as protobuf does.
                    switch (tag)
                    {
                        case StepTag: step = (long)value; break;
                        case PhaseTag: phase = (int)value; break;
                        case RoundTag: round = (int)value; break;
                        case ChunkIndexTag: chunkIndex = (int)value; break;
                        case OffsetTag: offset = (long)value; break;
                        case FromRankTag: fromRank = (int)value; break;
                        case SharedMemoryTag: sharedMemory = value != 0; break;
                        default: encoding = (int)value; break;
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

        chunk = new RingChunkView(jobId, step, (RingPhase)phase, round, chunkIndex, offset, fromRank, payload, (RingEncoding)encoding, sharedMemory);
        return null;
    }
}
