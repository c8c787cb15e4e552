using System.Buffers;
using System.Text;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Training.Collective;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A trainer.v1.RingChunk as the sending rank writes it: the header's fields and the payload, written by hand from
/// where the payload lies (<see cref="Write"/>), so it is copied once, into the stream's buffer. Reused for every
/// send: the stream serializes it before its write returns.
/// </summary>
internal sealed class OutgoingRingChunk
{
    // Field numbers, as in collective.proto.
    private const int JobIdField = 1;
    private const int StepField = 2;
    private const int PhaseField = 3;
    private const int RoundField = 4;
    private const int ChunkIndexField = 5;
    private const int OffsetField = 6;
    private const int PayloadField = 7;
    private const int FromRankField = 8;
    private const int EncodingField = 9;

    public string JobId { get; set; } = string.Empty;

    public RingPieceHeader Header { get; set; }

    /// <summary>The elements, raw little-endian; not owned, only read while the chunk is written.</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>Serializes <paramref name="chunk"/> as the generated serializer would (fields in order, defaults left out).</summary>
    public static void Write(OutgoingRingChunk chunk, SerializationContext context)
    {
        int jobIdBytes = Encoding.UTF8.GetByteCount(chunk.JobId);
        RingPieceHeader header = chunk.Header;
        long phase = (long)RingChunkMapping.ToProto(header.Phase);
        long encoding = (long)RingChunkMapping.ToProto(header.Encoding);
        int payloadBytes = chunk.Payload.Length;
        int size = (jobIdBytes == 0 ? 0 : WireWriter.LengthDelimitedSize(JobIdField, jobIdBytes))
            + VarintSize(StepField, header.Step) + VarintSize(PhaseField, phase) + VarintSize(RoundField, header.Round)
            + VarintSize(ChunkIndexField, header.ChunkIndex) + VarintSize(OffsetField, header.Offset)
            + (payloadBytes == 0 ? 0 : WireWriter.LengthDelimitedSize(PayloadField, payloadBytes))
            + VarintSize(FromRankField, header.FromRank) + VarintSize(EncodingField, encoding);
        context.SetPayloadLength(size);
        IBufferWriter<byte> writer = context.GetBufferWriter();

        Span<byte> head = writer.GetSpan(jobIdBytes + 8 * WireWriter.MaxVarintBytes);
        int written = 0;
        if (jobIdBytes != 0)
        {
            written += WireWriter.WriteLengthPrefix(head, JobIdField, jobIdBytes);
            written += Encoding.UTF8.GetBytes(chunk.JobId, head[written..]);
        }

        written += WriteVarint(head[written..], StepField, header.Step);
        written += WriteVarint(head[written..], PhaseField, phase);
        written += WriteVarint(head[written..], RoundField, header.Round);
        written += WriteVarint(head[written..], ChunkIndexField, header.ChunkIndex);
        written += WriteVarint(head[written..], OffsetField, header.Offset);
        if (payloadBytes != 0)
        {
            written += WireWriter.WriteLengthPrefix(head[written..], PayloadField, payloadBytes);
        }

        writer.Advance(written);
        writer.Write(chunk.Payload.Span);
        Span<byte> tail = writer.GetSpan(2 * 2 * WireWriter.MaxVarintBytes);
        int tailBytes = WriteVarint(tail, FromRankField, header.FromRank);
        tailBytes += WriteVarint(tail[tailBytes..], EncodingField, encoding);
        writer.Advance(tailBytes);
        context.Complete();
    }

    // int32, int64 and enum fields: negative values take ten bytes (sign-extended), as protobuf writes them.
    private static int VarintSize(int field, long value) => value == 0 ? 0 : WireWriter.VarintFieldSize(field, (ulong)value);

    private static int WriteVarint(Span<byte> destination, int field, long value) =>
        value == 0 ? 0 : WireWriter.WriteVarintField(destination, field, (ulong)value);
}
