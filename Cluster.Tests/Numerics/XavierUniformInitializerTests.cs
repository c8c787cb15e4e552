using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class XavierUniformInitializerTests
{
    // a = gain · √(6 / (512 + 256))
    private static readonly double Bound = 2.0 * Math.Sqrt(6.0 / (InitializerStatistics.FanIn + InitializerStatistics.FanOut));

    [Fact]
    public void Fill_LargeMatrix_MomentsMatchGlorot()
    {
        var values = InitializerStatistics.Fill(new XavierUniformInitializer(2f));

        InitializerStatistics.AssertMoments(values, 0, Bound / Math.Sqrt(3));
    }

    [Fact]
    public void Fill_LargeMatrix_FillsBounds()
    {
        var values = InitializerStatistics.Fill(new XavierUniformInitializer(2f));

        InitializerStatistics.AssertFillsRange(values, -Bound, Bound);
    }

    [Fact]
    public void Constructor_ZeroGain_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new XavierUniformInitializer(0f));

        Assert.StartsWith("Invalid gain: 0 (must be finite and > 0)", error.Message);
    }
}
