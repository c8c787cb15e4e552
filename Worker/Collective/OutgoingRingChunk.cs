using System.Buffers;
using System.Text;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Training.Collective;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A trainer.v1.RingChunk as the sending rank writes it: the header's fields and the payload, written by hand from
/// where the payload lies, so it is copied once, into Kestrel's stream (<see cref="Write"/>), or not at all on a
/// <see cref="DirectRingStream"/> (<see cref="WriteHead"/>, then the payload). Reused for every send: the stream
/// serializes it before its write returns.
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
    private const int SharedMemoryField = 10;

    public string JobId { get; set; } = string.Empty;

    public RingPieceHeader Header { get; set; }

    /// <summary>The elements, raw little-endian; not owned, only read while the chunk is written.</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }

    /// <summary>Whether this is the chunk that moves the stream's pieces to the receiver's shared-memory inbox (no payload).</summary>
    public bool SharedMemory { get; set; }

    /// <summary>Serializes <paramref name="chunk"/> as the generated serializer would (fields in order, defaults left out).</summary>
    public static void Write(OutgoingRingChunk chunk, SerializationContext context)
    {
        int payloadBytes = chunk.Payload.Length;
        int headBytes = chunk.FieldsBeforePayloadSize();
        int size = headBytes + (payloadBytes == 0 ? 0 : WireWriter.LengthDelimitedSize(PayloadField, payloadBytes)) + chunk.FieldsAfterPayloadSize();
        context.SetPayloadLength(size);
        IBufferWriter<byte> writer = context.GetBufferWriter();
        Span<byte> head = writer.GetSpan(headBytes + WireWriter.MaxVarintBytes + 1);
        int written = chunk.WriteFieldsBeforePayload(head);
        if (payloadBytes != 0)
        {
            written += WireWriter.WriteLengthPrefix(head[written..], PayloadField, payloadBytes);
        }

        writer.Advance(written);
        writer.Write(chunk.Payload.Span);
        Span<byte> tail = writer.GetSpan(chunk.FieldsAfterPayloadSize());
        writer.Advance(chunk.WriteFieldsAfterPayload(tail));
        context.Complete();
    }

    /// <summary>The bytes <see cref="WriteHead"/> writes at most.</summary>
    public int HeadSize => FieldsBeforePayloadSize() + FieldsAfterPayloadSize() + WireWriter.MaxVarintBytes + 1;

    /// <summary>
    /// Writes every field but the payload's bytes, the payload's tag and length last, so that the payload can follow from
    /// where it lies (protobuf reads fields in any order); returns the bytes written. The direct path's serialization
    /// (<see cref="DirectRingStream"/>).
    /// </summary>
    public int WriteHead(Span<byte> destination)
    {
        int written = WriteFieldsBeforePayload(destination);
        written += WriteFieldsAfterPayload(destination[written..]);
        return Payload.IsEmpty ? written : written + WireWriter.WriteLengthPrefix(destination[written..], PayloadField, Payload.Length);
    }

    private int FieldsBeforePayloadSize()
    {
        int jobIdBytes = Encoding.UTF8.GetByteCount(JobId);
        return (jobIdBytes == 0 ? 0 : WireWriter.LengthDelimitedSize(JobIdField, jobIdBytes))
            + VarintSize(StepField, Header.Step) + VarintSize(PhaseField, (long)RingChunkMapping.ToProto(Header.Phase)) + VarintSize(RoundField, Header.Round)
            + VarintSize(ChunkIndexField, Header.ChunkIndex) + VarintSize(OffsetField, Header.Offset);
    }

    private int FieldsAfterPayloadSize() =>
        VarintSize(FromRankField, Header.FromRank) + VarintSize(EncodingField, (long)RingChunkMapping.ToProto(Header.Encoding))
        + VarintSize(SharedMemoryField, SharedMemory ? 1 : 0);

    private int WriteFieldsBeforePayload(Span<byte> destination)
    {
        int written = 0;
        int jobIdBytes = Encoding.UTF8.GetByteCount(JobId);
        if (jobIdBytes != 0)
        {
            written += WireWriter.WriteLengthPrefix(destination, JobIdField, jobIdBytes);
            written += Encoding.UTF8.GetBytes(JobId, destination[written..]);
        }

        written += WriteVarint(destination[written..], StepField, Header.Step);
        written += WriteVarint(destination[written..], PhaseField, (long)RingChunkMapping.ToProto(Header.Phase));
        written += WriteVarint(destination[written..], RoundField, Header.Round);
        written += WriteVarint(destination[written..], ChunkIndexField, Header.ChunkIndex);
        written += WriteVarint(destination[written..], OffsetField, Header.Offset);
        return written;
    }

    private int WriteFieldsAfterPayload(Span<byte> destination)
    {
        int written = WriteVarint(destination, FromRankField, Header.FromRank);
        written += WriteVarint(destination[written..], EncodingField, (long)RingChunkMapping.ToProto(Header.Encoding));
        return written + WriteVarint(destination[written..], SharedMemoryField, SharedMemory ? 1 : 0);
    }

    // int32, int64 and enum fields: negative values take ten bytes (sign-extended), as protobuf writes them.
    private static int VarintSize(int field, long value) => value == 0 ? 0 : WireWriter.VarintFieldSize(field, (ulong)value);

    private static int WriteVarint(Span<byte> destination, int field, long value) =>
        value == 0 ? 0 : WireWriter.WriteVarintField(destination, field, (ulong)value);
}
