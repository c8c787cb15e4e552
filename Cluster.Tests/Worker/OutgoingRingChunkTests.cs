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
    [InlineData("j-1/g2", 1L << 40, CollectivePhase.AllGather, 3, 7, 5_000_000_000L, 2, 8, PieceEncoding.Raw)]
    [InlineData("j-ü", 0L, CollectivePhase.ReduceScatter, 0, 0, 0L, 0, 0, PieceEncoding.Raw)]
    [InlineData("j", 5L, CollectivePhase.ReduceScatter, -1, 1, 1L, int.MaxValue, 1 << 20, PieceEncoding.Raw)]
    [InlineData("j-2", 6L, CollectivePhase.ReduceScatter, 1, 0, 300L, 0, 1027, PieceEncoding.FixedPointBlocks)]
    [InlineData("j-3", 7L, CollectivePhase.ReduceScatter, 0, 2, 0L, 3, 0, PieceEncoding.FixedPointBlocks)]
    public void Write_AnyChunk_TheGeneratedSerializersBytes(string jobId, long step, CollectivePhase phase, int round, int chunkIndex, long offset, int fromRank,
        int payloadBytes, PieceEncoding encoding)
    {
        byte[] payload = [.. Enumerable.Range(0, payloadBytes).Select(i => (byte)(i * 3))];
        var chunk = new OutgoingRingChunk
        {
            JobId = jobId,
            Header = new RingPieceHeader(step, phase, round, chunkIndex, offset, fromRank, encoding),
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
            Encoding = encoding == PieceEncoding.FixedPointBlocks ? RingEncoding.FixedPointBlocks : RingEncoding.Raw,
        }.ToByteArray();

        var written = BufferSerializationContext.Serialize(Chunks, chunk);

        Assert.Equal(expected, written.Written);
        Assert.Equal(expected.Length, written.PayloadLength);
    }

    [Fact]
    public void Write_TheChunkMovingToSharedMemory_TheGeneratedBytesWhichParseBackAsIt()
    {
        var chunk = new OutgoingRingChunk
        {
            JobId = "j-1/g3",
            Header = new RingPieceHeader(0, CollectivePhase.ReduceScatter, 0, 0, 0, FromRank: 2),
            SharedMemory = true,
        };
        byte[] expected = new RingChunk { JobId = "j-1/g3", Phase = RingPhase.ReduceScatter, FromRank = 2, SharedMemory = true }.ToByteArray();

        var written = BufferSerializationContext.Serialize(Chunks, chunk);
        string? problem = RingChunkParser.TryParse(new System.Buffers.ReadOnlySequence<byte>(written.Written), out RingChunkView view);

        Assert.Equal(expected, written.Written);
        Assert.Null(problem);
        Assert.True(view.SharedMemory);
        Assert.True(view.Payload.IsEmpty);
        Assert.Null(RingChunkMapping.Problem(view));
    }
}
