using System.Diagnostics;
using DistributedTrainer.Training.Collective;
using Xunit;

namespace DistributedTrainer.Tests.Training.Collective;

public sealed class RingAllReduceTests
{
    public static TheoryData<int, int> SizesAndLengths()
    {
        var data = new TheoryData<int, int>();
        for (int size = 1; size <= 8; size++)
        {
            foreach (int length in new[] { 0, 1, size - 1, 7, 100_003 }.Distinct())
            {
                data.Add(size, length);
            }
        }

        data.Add(3, 1_000_003);
        return data;
    }

    [Theory]
    [MemberData(nameof(SizesAndLengths))]
    public async Task AllReduceAsync_AnySizeAndLength_EveryRankHoldsThePlainSum(int size, int length)
    {
        long[][] vectors = RingHarness.RandomVectors(size, length, seed: size * 31 + length);
        long[] expected = RingHarness.PlainSum(vectors, length);
        RingAllReduce[] ring = CreateRing(size);

        await Task.WhenAll(ring.Select((r, i) => r.AllReduceAsync(vectors[i], step: 3)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Theory]
    [MemberData(nameof(SizesAndLengths))]
    public async Task ReduceScatterAsync_AnySizeAndLength_RankHoldsTheSumOfItsSegment(int size, int length)
    {
        long[][] vectors = RingHarness.RandomVectors(size, length, seed: size * 17 + length);
        long[] expected = RingHarness.PlainSum(vectors, length);
        RingAllReduce[] ring = CreateRing(size);

        await Task.WhenAll(ring.Select((r, i) => r.ReduceScatterAsync(vectors[i], step: 3)));

        Assert.All(Enumerable.Range(0, size), i =>
            Assert.Equal(RingHarness.Segment(expected, size, i), RingHarness.Segment(vectors[i], size, i)));
    }

    [Theory]
    [InlineData(2, 100_003, 1024 * 1024)]
    [InlineData(3, 70_001, 8 * 1000)]
    [InlineData(5, 4099, 8 * 13)]
    public async Task ReduceScatterAsync_GradientLikeSums_PackedPiecesGiveThePlainSum(int size, int length, int maxPieceBytes)
    {
        long[][] vectors = RingHarness.GradientLikeVectors(size, length, seed: size * 7 + length);
        long[] expected = RingHarness.PlainSum(vectors, length);
        RingAllReduce[] ring = CreateRing(size, new RingOptions { MaxPieceBytes = maxPieceBytes });

        await Task.WhenAll(ring.Select((r, i) => r.ReduceScatterAsync(vectors[i], step: 3)));

        Assert.All(Enumerable.Range(0, size), i =>
            Assert.Equal(RingHarness.Segment(expected, size, i), RingHarness.Segment(vectors[i], size, i)));
    }

    [Fact]
    public async Task ReduceScatterAsync_TwoRanks_ReturnsThePackedBytesSent()
    {
        // Each rank sends the other's segment of 600 elements: blocks of 256, 256 and 88; the first all zero (no bytes),
        // the second -5s (1 byte each), the third zeros and one 2^33 (5 bytes each).
        long[][] vectors = [new long[1200], new long[1200]];
        foreach (long[] vector in vectors)
        {
            vector.AsSpan(256, 256).Fill(-5);
            vector.AsSpan(856, 256).Fill(-5);
            vector[599] = 1L << 33;
            vector[1199] = 1L << 33;
        }
        RingAllReduce[] ring = CreateRing(2);

        long[] sent = await Task.WhenAll(ring.Select((r, i) => r.ReduceScatterAsync(vectors[i], step: 1)));

        Assert.Equal([3 + (256 * 1) + (88 * 5), 3 + (256 * 1) + (88 * 5)], sent);
        Assert.Equal(-10, vectors[0][256]);
        Assert.Equal(1L << 34, vectors[1][1199]);
    }

    [Theory]
    // Each rank sends one segment of 512 sums as two pieces of 256 (one block each), 2048 bytes raw.
    [InlineData(0L, 0L, 1 + 1)] // both pack to a width byte
    [InlineData(0L, 1L << 56, 1 + 2048)] // the second saves less than a sixteenth: raw
    [InlineData(1L << 56, 0L, 2048 + 2048)] // after a piece that did not pay, the next goes raw unpacked
    [InlineData(1L << 54, 1L << 54, 1793 + 1793)] // 7 bytes of 8 save an eighth: packed
    public async Task ReduceScatterAsync_PiecesPackedOnlyWhilePackingPays_SentBytesAndPlainSum(long first, long second, long expectedSent)
    {
        long[][] vectors = [new long[1024], new long[1024]];
        foreach (long[] vector in vectors)
        {
            for (int segment = 0; segment < 2; segment++)
            {
                vector.AsSpan(segment * 512, 256).Fill(first);
                vector.AsSpan(segment * 512 + 256, 256).Fill(second);
            }
        }
        long[] expected = RingHarness.PlainSum(vectors, 1024);
        RingAllReduce[] ring = CreateRing(2, new RingOptions { MaxPieceBytes = 256 * sizeof(long) });

        long[] sent = await Task.WhenAll(ring.Select((r, i) => r.ReduceScatterAsync(vectors[i], step: 2)));

        Assert.Equal([expectedSent, expectedSent], sent);
        Assert.Equal(RingHarness.Segment(expected, 2, 0), RingHarness.Segment(vectors[0], 2, 0));
        Assert.Equal(RingHarness.Segment(expected, 2, 1), RingHarness.Segment(vectors[1], 2, 1));
    }

    [Fact]
    public async Task ReduceScatterAsync_PeerSendsRawPieces_AddsThemAsWell()
    {
        // A peer that does not pack (any client of collective.proto may send RING_ENCODING_RAW).
        IReadOnlyList<InProcessRingTransport> links = InProcessRingTransport.CreateRing(2);
        long[] own = [1, 2, 3, 4, 5];
        long[] peer = [10, 20, 30, 1L << 40, -50];
        (int offset, int length) = RingSegments.Range(own.Length, 2, 1);
        Task<long> rank1 = new RingAllReduce(links[1], 1, 2).ReduceScatterAsync(own, step: 4);

        await links[0].SendAsync(new RingPieceHeader(4, CollectivePhase.ReduceScatter, 0, 0, offset, 0),
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(peer.AsSpan(offset, length)).ToArray(), CancellationToken.None);
        await rank1;

        Assert.Equal((3, 2), (offset, length));
        Assert.Equal([(1L << 40) + 4, -45], own[offset..]);
    }

    [Fact]
    public async Task ReduceScatterAsync_PackedPieceThatIsNotAPacking_ThrowsNamingThePiece()
    {
        IReadOnlyList<InProcessRingTransport> links = InProcessRingTransport.CreateRing(2);
        Task<long> rank1 = new RingAllReduce(links[1], 1, 2, new RingOptions { PieceTimeout = TimeSpan.FromSeconds(2) })
            .ReduceScatterAsync(new long[6], step: 4);

        await links[0].SendAsync(new RingPieceHeader(4, CollectivePhase.ReduceScatter, 0, 0, 3, 0, PieceEncoding.FixedPointBlocks),
            new byte[] { 4, 1, 2 }, CancellationToken.None);
        RingException error = await Assert.ThrowsAsync<RingException>(() => rank1);

        Assert.Equal("rank 1 expected chunk 0 of reduce-scatter round 0 of step 4 from rank 0 (offset 3, 3 elements, fixed-point blocks) " +
            "but received chunk 0 of reduce-scatter round 0 of step 4 from rank 0 (offset 3, 3 bytes, fixed-point blocks)", error.Message);
        Assert.Equal((0, CollectivePhase.ReduceScatter), (error.PeerRank, error.Phase));
    }

    [Fact]
    public async Task AllGatherAsync_PeerSendsAPackedPiece_ThrowsNamingTheEncoding()
    {
        IReadOnlyList<InProcessRingTransport> links = InProcessRingTransport.CreateRing(2);
        Task rank1 = new RingAllReduce(links[1], 1, 2, new RingOptions { PieceTimeout = TimeSpan.FromSeconds(2) })
            .AllGatherAsync<float>(new float[4], step: 4);

        await links[0].SendAsync(new RingPieceHeader(4, CollectivePhase.AllGather, 0, 0, 0, 0, PieceEncoding.FixedPointBlocks),
            new byte[8], CancellationToken.None);
        RingException error = await Assert.ThrowsAsync<RingException>(() => rank1);

        Assert.Equal("rank 1 expected chunk 0 of all-gather round 0 of step 4 from rank 0 (offset 0, 8 bytes) " +
            "but received chunk 0 of all-gather round 0 of step 4 from rank 0 (offset 0, 8 bytes, fixed-point blocks)", error.Message);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 1000)]
    [InlineData(5, 4099)]
    [InlineData(8, 100_003)]
    public async Task ReduceScatterThenAllGather_SmallPieces_EveryRankHoldsThePlainSum(int size, int length)
    {
        long[][] vectors = RingHarness.RandomVectors(size, length, seed: length);
        long[] expected = RingHarness.PlainSum(vectors, length);
        RingAllReduce[] ring = CreateRing(size, new RingOptions { MaxPieceBytes = 8 * 13 });

        await Task.WhenAll(ring.Select((r, i) => r.ReduceScatterAsync(vectors[i], step: 9)));
        await Task.WhenAll(ring.Select((r, i) => r.AllGatherAsync<long>(vectors[i], step: 9)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 0)]
    [InlineData(3, 2)]
    [InlineData(4, 100_003)]
    [InlineData(7, 1001)]
    public async Task AllGatherAsync_FloatParameters_EveryRankHoldsAnExactCopy(int size, int length)
    {
        float[] reference = RingHarness.RandomFloats(length, seed: size + length);
        float[][] vectors = [.. Enumerable.Range(0, size).Select(r => RingHarness.OwnSegmentOnly(reference, size, r))];
        RingAllReduce[] ring = CreateRing(size, new RingOptions { MaxPieceBytes = 4000 });

        await Task.WhenAll(ring.Select((r, i) => r.AllGatherAsync<float>(vectors[i], step: 1)));

        int[] expectedBits = [.. reference.Select(BitConverter.SingleToInt32Bits)];
        Assert.All(vectors, vector => Assert.Equal(expectedBits, vector.Select(BitConverter.SingleToInt32Bits)));
    }

    [Fact]
    public async Task ReduceScatterAsync_PreviousRankNeverSends_NamesPeerPhaseRoundAndChunkWithinDeadline()
    {
        IReadOnlyList<InProcessRingTransport> links = InProcessRingTransport.CreateRing(3);
        var options = new RingOptions { PieceTimeout = TimeSpan.FromMilliseconds(300) };
        var rank2 = new RingAllReduce(links[2], 2, 3, options);
        var stopwatch = Stopwatch.StartNew();

        RingException error = await Assert.ThrowsAsync<RingException>(() => rank2.ReduceScatterAsync(new long[10], step: 5));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
        Assert.Equal("rank 2 received no chunk 0 of reduce-scatter round 0 of step 5 from rank 1 within 0.3 s", error.Message);
    }

    [Fact]
    public async Task ReduceScatterAsync_PreviousRankNeverSends_ExceptionNamesThePeer()
    {
        IReadOnlyList<InProcessRingTransport> links = InProcessRingTransport.CreateRing(3);
        var rank2 = new RingAllReduce(links[2], 2, 3, new RingOptions { PieceTimeout = TimeSpan.FromMilliseconds(100) });

        RingException error = await Assert.ThrowsAsync<RingException>(() => rank2.ReduceScatterAsync(new long[10], step: 5));

        Assert.Equal((1, CollectivePhase.ReduceScatter, 0, 0, true), (error.PeerRank, error.Phase, error.Round, error.ChunkIndex, error.IsTimeout));
    }

    [Fact]
    public async Task AllReduceAsync_RanksDisagreeOnStep_ThrowsNamingBothPieces()
    {
        IReadOnlyList<InProcessRingTransport> links = InProcessRingTransport.CreateRing(2);
        var options = new RingOptions { PieceTimeout = TimeSpan.FromSeconds(2) };
        Task rank0 = new RingAllReduce(links[0], 0, 2, options).AllReduceAsync(new long[4], step: 7);

        RingException error = await Assert.ThrowsAsync<RingException>(() => new RingAllReduce(links[1], 1, 2, options).AllReduceAsync(new long[4], step: 8));

        Assert.Equal("rank 1 expected chunk 0 of reduce-scatter round 0 of step 8 from rank 0 (offset 2, 2 elements, fixed-point blocks) " +
            "but received chunk 0 of reduce-scatter round 0 of step 7 from rank 0 (offset 2, 1 bytes, fixed-point blocks)", error.Message);
        await Assert.ThrowsAnyAsync<Exception>(() => rank0);
    }

    [Fact]
    public async Task AllReduceAsync_CallerCancels_ThrowsOperationCanceled()
    {
        IReadOnlyList<InProcessRingTransport> links = InProcessRingTransport.CreateRing(2);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var rank0 = new RingAllReduce(links[0], 0, 2);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rank0.AllReduceAsync(new long[100], step: 1, cancel.Token));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 2)]
    [InlineData(-1, 2)]
    public void Constructor_InvalidRankOrSize_Throws(int rank, int size)
    {
        Assert.Throws<ArgumentException>(() => new RingAllReduce(InProcessRingTransport.CreateRing(1)[0], rank, size));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(RingOptions.MaxPieceBytesLimit + 1)]
    public void Constructor_InvalidPieceSize_Throws(int maxPieceBytes)
    {
        Assert.Throws<ArgumentException>(() => new RingAllReduce(InProcessRingTransport.CreateRing(1)[0], 0, 1, new RingOptions { MaxPieceBytes = maxPieceBytes }));
    }

    [Fact]
    public async Task AllGatherAsync_TransportReturnsWithoutHandingOverAPiece_ThrowsNamingThePiece()
    {
        var rank1 = new RingAllReduce(new PiecelessTransport(), 1, 2);

        RingException error = await Assert.ThrowsAsync<RingException>(() => rank1.AllGatherAsync<float>(new float[4], step: 4));

        Assert.Equal("rank 1 expected chunk 0 of all-gather round 0 of step 4 from rank 0 (offset 0, 2 elements) but the transport handed over no piece",
            error.Message);
    }

    /// <summary>A broken transport: every send succeeds and every receive returns at once, without a piece.</summary>
    private sealed class PiecelessTransport : IRingTransport
    {
        public ValueTask SendAsync(RingPieceHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask ReceiveAsync(IRingPieceReader reader, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public bool SendsByMemoryCopy => false;
    }

    private static RingAllReduce[] CreateRing(int size, RingOptions? options = null) =>
        [.. InProcessRingTransport.CreateRing(size).Select((link, rank) => new RingAllReduce(link, rank, size, options))];
}
