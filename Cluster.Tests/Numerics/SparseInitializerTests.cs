using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class SparseInitializerTests
{
    [Fact]
    public void Fill_LargeMatrix_EveryRowHasExactlyKNonZeros()
    {
        var weights = InitializerStatistics.Fill(new SparseInitializer(16, 0.5f));

        var counts = Enumerable.Range(0, InitializerStatistics.FanOut)
            .Select(row => weights.AsSpan(row * InitializerStatistics.FanIn, InitializerStatistics.FanIn).ToArray().Count(w => w != 0f));
        Assert.All(counts, count => Assert.Equal(16, count));
    }

    [Fact]
    public void Fill_LargeMatrix_NonZerosHaveGivenStd()
    {
        var weights = InitializerStatistics.Fill(new SparseInitializer(16, 0.5f));

        var nonZeros = weights.Where(w => w != 0f).ToArray();
        InitializerStatistics.AssertMoments(nonZeros, 0, 0.5);
    }

    [Fact]
    public void Fill_LargeMatrix_SpreadsNonZerosOverAllInputs()
    {
        var weights = InitializerStatistics.Fill(new SparseInitializer(16));

        // 256 rows × 16 picks among 512 inputs leave an input unused with probability (1 − 16/512)^256 ≈ 3e-4.
        int usedColumns = Enumerable.Range(0, InitializerStatistics.FanIn)
            .Count(column => Enumerable.Range(0, InitializerStatistics.FanOut).Any(row => weights[row * InitializerStatistics.FanIn + column] != 0f));
        Assert.True(usedColumns > 500, $"Only {usedColumns} of 512 inputs received a non-zero weight.");
    }

    [Fact]
    public void Fill_KEqualsFanIn_FillsEveryWeight()
    {
        var weights = new float[3 * 4];

        new SparseInitializer(4).Fill(weights, 4, 3, new Random(1));

        Assert.All(weights, w => Assert.NotEqual(0f, w));
    }

    [Fact]
    public void Fill_SameSeed_WritesSameValues()
    {
        var first = new float[5 * 8];
        var second = new float[5 * 8];

        new SparseInitializer(3).Fill(first, 8, 5, new Random(9));
        new SparseInitializer(3).Fill(second, 8, 5, new Random(9));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Fill_KAboveFanIn_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SparseInitializer(5).Fill(new float[12], 4, 3, new Random(1)));

        Assert.StartsWith("Invalid nonZeroPerUnit: 5 (must be <= fanIn 4)", error.Message);
    }

    [Fact]
    public void Constructor_ZeroNonZeros_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SparseInitializer(0));

        Assert.StartsWith("Invalid nonZeroPerUnit: 0 (must be >= 1)", error.Message);
    }
}
