using DistributedTrainer.Data;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class EpochPermutationTests
{
    // Computed by an independent Python transcription of SplitMix64 + Fisher–Yates.
    private static readonly int[] RecordedOrder = [3, 7, 6, 9, 8, 2, 4, 5, 1, 0];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public void Create_AnyCount_IsAPermutation(int count)
    {
        var order = EpochPermutation.Create(count, seed: 42, epoch: 3);

        Assert.Equal(Enumerable.Range(0, count), order.Order());
    }

    [Fact]
    public void Create_SameSeedAndEpoch_IsIdentical()
    {
        Assert.Equal(EpochPermutation.Create(500, 7, 2), EpochPermutation.Create(500, 7, 2));
    }

    [Fact]
    public void Create_DifferentEpoch_Differs()
    {
        Assert.NotEqual(EpochPermutation.Create(500, 7, 2), EpochPermutation.Create(500, 7, 3));
    }

    [Fact]
    public void Create_DifferentSeed_Differs()
    {
        Assert.NotEqual(EpochPermutation.Create(500, 7, 2), EpochPermutation.Create(500, 8, 2));
    }

    [Fact]
    public void Create_KnownSeed_MatchesRecordedOrder()
    {
        // A change here would break resuming jobs checkpointed by an earlier build.
        var order = EpochPermutation.Create(10, seed: 1, epoch: 0);

        Assert.Equal(RecordedOrder, order);
    }

    [Fact]
    public void Create_ManyEpochs_FirstPositionIsRoughlyUniform()
    {
        var hits = new int[4];
        for (int epoch = 0; epoch < 4000; epoch++)
        {
            hits[EpochPermutation.Create(4, seed: 5, epoch)[0]]++;
        }

        Assert.All(hits, count => Assert.InRange(count, 850, 1150));
    }
}
