using System.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Training.Collective;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using CollectiveRpc = DistributedTrainer.Protos.V1.Collective;

namespace DistributedTrainer.Tests.Worker;

public sealed class GrpcRingTransportTests
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 100_003)]
    [InlineData(3, 2)]
    [InlineData(3, 7)]
    [InlineData(3, 250_001)]
    [InlineData(4, 3)]
    [InlineData(4, 100_003)]
    public async Task AllReduceAsync_LoopbackHosts_EveryRankHoldsThePlainSum(int size, int length)
    {
        long[][] vectors = RingHarness.RandomVectors(size, length, seed: size + length);
        long[] expected = RingHarness.PlainSum(vectors, length);
        await using GrpcRing ring = await GrpcRing.StartAsync(size);
        RingAllReduce[] ranks = ring.Ranks(new RingOptions { MaxPieceBytes = 256 * 1024 });

        await Task.WhenAll(ranks.Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task AllReduceAsync_GradientLikeSumsOverLoopback_PackedPiecesGiveThePlainSum(int size)
    {
        long[][] vectors = RingHarness.GradientLikeVectors(size, 235_146, seed: size);
        long[] expected = RingHarness.PlainSum(vectors, 235_146);
        await using GrpcRing ring = await GrpcRing.StartAsync(size);

        await Task.WhenAll(ring.Ranks().Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Fact]
    public async Task AllReduceAsync_SeveralStepsOnOneStream_EveryStepHoldsThePlainSum()
    {
        await using GrpcRing ring = await GrpcRing.StartAsync(3);
        RingAllReduce[] ranks = ring.Ranks(new RingOptions { MaxPieceBytes = 4096 });

        for (int step = 0; step < 5; step++)
        {
            long[][] vectors = RingHarness.RandomVectors(3, 10_001, seed: step);
            long[] expected = RingHarness.PlainSum(vectors, 10_001);

            await Task.WhenAll(ranks.Select((r, i) => r.AllReduceAsync(vectors[i], step)));

            Assert.All(vectors, vector => Assert.Equal(expected, vector));
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task AllGatherAsync_FloatParametersOverLoopback_EveryRankHoldsAnExactCopy(int size)
    {
        float[] reference = RingHarness.RandomFloats(50_001, seed: size);
        float[][] vectors = [.. Enumerable.Range(0, size).Select(r => RingHarness.OwnSegmentOnly(reference, size, r))];
        await using GrpcRing ring = await GrpcRing.StartAsync(size);

        await Task.WhenAll(ring.Ranks().Select((r, i) => r.AllGatherAsync<float>(vectors[i], step: 2)));

        int[] expectedBits = [.. reference.Select(BitConverter.SingleToInt32Bits)];
        Assert.All(vectors, vector => Assert.Equal(expectedBits, vector.Select(BitConverter.SingleToInt32Bits)));
    }

    [Fact]
    public async Task AllReduceAsync_40MegabytesWithDefaultPieces_FitsThe4MiBMessageLimit()
    {
        // Receiving channels reject any message over 4 MiB (RESOURCE_EXHAUSTED), so the all-reduce can only succeed
        // if chunking kept every message under the limit.
        const int length = 5 * 1024 * 1024;
        long[][] vectors = RingHarness.RandomVectors(2, length, seed: 40);
        long[] expected = RingHarness.PlainSum(vectors, length);
        await using GrpcRing ring = await GrpcRing.StartAsync(2);

        await Task.WhenAll(ring.Ranks().Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Fact]
    public async Task ReduceScatterAsync_PieceOverTheReceiverLimit_FailsWithRingException()
    {
        // The receiver's channel rejects the message and ends its subscription; the sender learns it on its next write
        // or, with nothing more to send, the receiving side of the ring fails. Either way the step fails, never hangs.
        await using GrpcRing ring = await GrpcRing.StartAsync(2, receiveLimit: 64 * 1024);
        RingAllReduce[] ranks = ring.Ranks(new RingOptions { PieceTimeout = TimeSpan.FromSeconds(1) });
        long[][] vectors = RingHarness.RandomVectors(2, 100_000, seed: 1);

        Task[] calls = [.. ranks.Select((r, i) => r.ReduceScatterAsync(vectors[i], step: 1))];

        await Assert.ThrowsAsync<RingException>(() => calls[0]);
    }

    [Fact]
    public async Task ReduceScatterAsync_PeerNeverSends_NamedTimeoutWithinTheDeadline()
    {
        await using GrpcRing ring = await GrpcRing.StartAsync(3);
        RingAllReduce[] ranks = ring.Ranks(new RingOptions { PieceTimeout = TimeSpan.FromMilliseconds(500) });
        var stopwatch = Stopwatch.StartNew();

        // Rank 1 is up and serving but its ring never runs.
        Task rank0 = ranks[0].ReduceScatterAsync(new long[1000], step: 4);
        RingException error = await Assert.ThrowsAsync<RingException>(() => ranks[2].ReduceScatterAsync(new long[1000], step: 4));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
        Assert.Equal("rank 2 received no chunk 0 of reduce-scatter round 0 of step 4 from rank 1 within 0.5 s", error.Message);
        await Assert.ThrowsAsync<RingException>(() => rank0);
    }

    [Fact]
    public async Task ReceiveAsync_AChunkFromASenderNobodyHereWrote_HandsItsPieceToTheReader()
    {
        byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var chunk = new RingChunk { JobId = "j-2", Step = 7, Phase = RingPhase.AllGather, Round = 1, ChunkIndex = 2, Offset = 5, FromRank = 0, Payload = ByteString.CopyFrom(payload) };
        var sender = new ForeignSender(chunk);
        await using var server = await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(sender), app => app.MapGrpcService<ForeignSender>());
        using var channel = GrpcChannels.Create(server.Address);
        await using var transport = GrpcRingTransport.Open(new CollectiveService(), channel, "j-2", rank: 1, size: 2);
        var reader = new RecordingPieceReader();

        await transport.ReceiveAsync(reader, CancellationToken.None);

        var piece = Assert.Single(reader.Pieces);
        Assert.Equal(new RingPieceHeader(7, CollectivePhase.AllGather, 1, 2, 5, 0), piece.Header);
        Assert.Equal(payload, piece.Payload);
    }

    [Theory]
    [InlineData("j-1", 0, RingPhase.ReduceScatter, 8, "job j-1 from rank 0 on the stream of job j-2 from rank 0")]
    [InlineData("j-2", 1, RingPhase.ReduceScatter, 8, "job j-2 from rank 1 on the stream of job j-2 from rank 0")]
    [InlineData("", 0, RingPhase.ReduceScatter, 8, "job_id is empty")]
    [InlineData("j-2", -1, RingPhase.ReduceScatter, 8, "from_rank -1 is negative")]
    [InlineData("j-2", 0, RingPhase.Unspecified, 8, "phase Unspecified is not REDUCE_SCATTER or ALL_GATHER")]
    [InlineData("j-2", 0, RingPhase.AllGather, 6, "payload of 6 bytes is not whole elements")]
    [InlineData("j-2", 0, RingPhase.AllGather, 1, "encoding FIXED_POINT_BLOCKS in phase AllGather (reduce-scatter only)", RingEncoding.FixedPointBlocks)]
    [InlineData("j-2", 0, RingPhase.ReduceScatter, 8, "encoding 2 is not RAW or FIXED_POINT_BLOCKS", (RingEncoding)2)]
    public async Task ReceiveAsync_ABadChunkFromASenderNobodyHereWrote_FailsNamingTheChunkAndTheReason(string jobId, int fromRank, RingPhase phase,
        int payloadBytes, string reason, RingEncoding encoding = RingEncoding.Raw)
    {
        var chunk = new RingChunk { JobId = jobId, Step = 1, Phase = phase, FromRank = fromRank, Encoding = encoding, Payload = ByteString.CopyFrom(new byte[payloadBytes]) };
        var sender = new ForeignSender(chunk);
        await using var server = await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(sender), app => app.MapGrpcService<ForeignSender>());
        using var channel = GrpcChannels.Create(server.Address);
        await using var transport = GrpcRingTransport.Open(new CollectiveService(), channel, "j-2", rank: 1, size: 2);

        var reader = new RecordingPieceReader();
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await transport.ReceiveAsync(reader, CancellationToken.None));

        Assert.Equal($"Invalid ring chunk 0: {reason}", error.Message);
        Assert.Empty(reader.Pieces);
    }

    [Fact]
    public async Task ReceiveAsync_ASenderMovingToSharedMemoryThatWasNotOffered_FailsNamingIt()
    {
        var sender = new ForeignSender(new RingChunk { JobId = "j-2", Phase = RingPhase.ReduceScatter, FromRank = 0, SharedMemory = true });
        await using var server = await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(sender), app => app.MapGrpcService<ForeignSender>());
        using var channel = GrpcChannels.Create(server.Address);
        await using var transport = GrpcRingTransport.Open(new CollectiveService(), channel, "j-2", rank: 1, size: 2);

        var reader = new RecordingPieceReader();
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await transport.ReceiveAsync(reader, CancellationToken.None));

        Assert.Equal("Invalid ring chunk 0: rank 0 moved to a shared-memory inbox this rank did not offer", error.Message);
        Assert.Empty(reader.Pieces);
    }

    /// <summary>A previous rank written with the generated stubs: it answers every subscription with one given chunk.</summary>
    private sealed class ForeignSender(RingChunk chunk) : CollectiveRpc.CollectiveBase
    {
        public override Task Subscribe(RingSubscription request, IServerStreamWriter<RingChunk> responseStream, ServerCallContext context) =>
            responseStream.WriteAsync(chunk);
    }
}
