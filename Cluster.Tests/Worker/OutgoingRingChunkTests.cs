using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.ClusterApi;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Collective;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

public sealed class OutgoingRingChunkTests
{
    private static readonly Marshaller<OutgoingRingChunk> Chunks = Marshallers.Create<OutgoingRingChunk>(OutgoingRingChunk.Write, _ => new OutgoingRingChunk());

    [Theory]
    [InlineData("j-1/g2", 1L << 40, CollectivePhase.AllGather, 3, 7, 5_000_000_000L, 2, 8)]
    [InlineData("j-ü", 0L, CollectivePhase.ReduceScatter, 0, 0, 0L, 0, 0)]
    [InlineData("j", 5L, CollectivePhase.ReduceScatter, -1, 1, 1L, int.MaxValue, 1 << 20)]
    public void Write_AnyChunk_TheGeneratedSerializersBytes(string jobId, long step, CollectivePhase phase, int round, int chunkIndex, long offset, int fromRank, int payloadBytes)
    {
        byte[] payload = [.. Enumerable.Range(0, payloadBytes).Select(i => (byte)(i * 3))];
        var chunk = new OutgoingRingChunk
        {
            JobId = jobId,
            Header = new RingPieceHeader(step, phase, round, chunkIndex, offset, fromRank),
            Payload = payload,
        };
        byte[] expected = new RingChunk
        {
            JobId = jobId,
            Step = step,
            Phase = phase == CollectivePhase.AllGather ? RingPhase.AllGather : RingPhase.ReduceScatter,
            Round = round,
            ChunkIndex = chunkIndex,
            Offset = offset,
            FromRank = fromRank,
            Payload = ByteString.CopyFrom(payload),
        }.ToByteArray();

        var written = BufferSerializationContext.Serialize(Chunks, chunk);

        Assert.Equal(expected, written.Written);
        Assert.Equal(expected.Length, written.PayloadLength);
    }
}
