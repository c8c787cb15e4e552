using System.Diagnostics;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Tests.Training.Collective;
using DistributedTrainer.Training.Collective;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

/// <summary>Ring links between ranks that share a directory for shared-memory inboxes, over the same gRPC subscriptions.</summary>
public sealed class SharedMemoryRingTests
{
    [Theory]
    [InlineData(2, 100_003, true)]
    [InlineData(3, 250_001, true)]
    [InlineData(4, 3, true)]
    [InlineData(3, 250_001, false)]
    public async Task AllReduceAsync_RanksSharingADirectory_EveryLinkMovesToSharedMemoryAndEveryStepHoldsThePlainSum(int size, int length, bool direct)
    {
        using var directory = new TemporaryDirectory();
        await using GrpcRing ring = await GrpcRing.StartAsync(size, direct: direct, sharedMemory: _ => directory.Path);
        RingAllReduce[] ranks = ring.Ranks(new RingOptions { MaxPieceBytes = 256 * 1024 });

        // Enough steps that the pieces run round each inbox's queue several times.
        for (int step = 0; step < 6; step++)
        {
            long[][] vectors = step % 2 == 0 ? RingHarness.RandomVectors(size, length, seed: step) : RingHarness.GradientLikeVectors(size, length, seed: step);
            long[] expected = RingHarness.PlainSum(vectors, length);

            await Task.WhenAll(ranks.Select((r, i) => r.AllReduceAsync(vectors[i], step)));

            Assert.All(vectors, vector => Assert.Equal(expected, vector));
        }
        Assert.Equal(size, ring.LinksInSharedMemory);
        // Each sender removed the name of the inbox it took up: nothing is left to clean up after a crash.
        Assert.Empty(Directory.GetFiles(directory.Path));
    }

    [Fact]
    public async Task AllReduceAsync_RanksWithDirectoriesOfTheirOwn_StayOnTheirStreamsAndLeaveNoFile()
    {
        // As ranks on different machines: each finds no inbox of the next rank's in its own directory.
        var directories = new[] { new TemporaryDirectory(), new TemporaryDirectory(), new TemporaryDirectory() };
        try
        {
            long[][] vectors = RingHarness.GradientLikeVectors(3, 100_003, seed: 5);
            long[] expected = RingHarness.PlainSum(vectors, 100_003);
            await using (GrpcRing ring = await GrpcRing.StartAsync(3, sharedMemory: rank => directories[rank].Path))
            {
                await Task.WhenAll(ring.Ranks().Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));

                Assert.All(vectors, vector => Assert.Equal(expected, vector));
                Assert.Equal(0, ring.LinksInSharedMemory);
            }
            Assert.All(directories, directory => Assert.Empty(Directory.GetFiles(directory.Path)));
        }
        finally
        {
            Array.ForEach(directories, directory => directory.Dispose());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReduceScatterAsync_GradientSums_RawThroughSharedMemoryAndPackedOverTheStream(bool sharedMemory)
    {
        using var directory = new TemporaryDirectory();
        const int Length = 200_003;
        await using GrpcRing ring = await GrpcRing.StartAsync(3, sharedMemory: sharedMemory ? _ => directory.Path : null);
        RingAllReduce[] ranks = ring.Ranks();
        // The first call makes the links: a sender knows its link is in shared memory once the next rank subscribed.
        long[][] first = RingHarness.GradientLikeVectors(3, Length, seed: 1);
        await Task.WhenAll(ranks.Select((r, i) => r.AllReduceAsync(first[i], step: 1)));
        long[][] vectors = RingHarness.GradientLikeVectors(3, Length, seed: 2);
        long[] expected = RingHarness.PlainSum(vectors, Length);

        long[] sent = await Task.WhenAll(ranks.Select((r, i) => r.ReduceScatterAsync(vectors[i], step: 2)));

        for (int rank = 0; rank < 3; rank++)
        {
            // A rank sends every segment but its own, 8 bytes per sum when raw.
            long rawBytes = 8L * (Length - RingSegments.Range(Length, 3, rank).Length);
            if (sharedMemory)
            {
                Assert.Equal(rawBytes, sent[rank]);
            }
            else
            {
                Assert.True(sent[rank] < rawBytes * 3 / 4, $"rank {rank} sent {sent[rank]} of {rawBytes} raw bytes");
            }
            Assert.Equal(RingHarness.Segment(expected, 3, rank), RingHarness.Segment(vectors[rank], 3, rank));
        }
    }

    [Fact]
    public async Task ReceiveAsync_PreviousRankLeavesTheRing_FailsAtOnceNamingItRatherThanAtTheDeadline()
    {
        using var directory = new TemporaryDirectory();
        await using GrpcRing ring = await GrpcRing.StartAsync(2, sharedMemory: _ => directory.Path);
        RingAllReduce[] ranks = ring.Ranks(new RingOptions { PieceTimeout = TimeSpan.FromSeconds(60) });
        long[][] vectors = RingHarness.RandomVectors(2, 1000, seed: 1);
        await Task.WhenAll(ranks.Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));
        Assert.Equal(2, ring.LinksInSharedMemory);

        await ring.Transports[0].DisposeAsync();
        var clock = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failure = await Assert.ThrowsAsync<IOException>(() => ring.Transports[1].ReceiveAsync(new NoPieceExpected(), deadline.Token).AsTask());

        Assert.Equal("rank 0 ended its stream of job j-1's pieces", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"failed after {clock.Elapsed}");
    }

    private sealed class NoPieceExpected : IRingPieceReader
    {
        public void Read(RingPieceHeader header, ReadOnlySpan<byte> payload) => throw new InvalidOperationException($"unexpected piece {header}");
    }
}
