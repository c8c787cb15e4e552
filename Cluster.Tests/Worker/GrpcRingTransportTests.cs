using System.Diagnostics;
using DistributedTrainer.Tests.Training.Collective;
using DistributedTrainer.Training.Collective;
using Xunit;

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
        // Hosts reject any message over 4 MiB (RESOURCE_EXHAUSTED) and channels refuse to send one, so the
        // all-reduce can only succeed if chunking kept every message under the limit.
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
        // The receiver rejects the stream; the sender learns it on its next write or, with nothing more to
        // send, the receiving side of the ring runs into its deadline. Either way the step fails, never hangs.
        await using GrpcRing ring = await GrpcRing.StartAsync(2, serverReceiveLimit: 64 * 1024);
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
}
