using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class HeUniformInitializerTests
{
    [Fact]
    public void Fill_FanIn_FillsKaimingBound()
    {
        var values = InitializerStatistics.Fill(new HeUniformInitializer());

        // b = √3 · √2 / √fanIn = √(6 / 512)
        InitializerStatistics.AssertFillsRange(values, -Math.Sqrt(6.0 / 512), Math.Sqrt(6.0 / 512));
    }

    [Fact]
    public void Fill_FanIn_MomentsMatchKaiming()
    {
        var values = InitializerStatistics.Fill(new HeUniformInitializer());

        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(2.0 / 512));
    }

    [Fact]
    public void Fill_FanOut_ScalesByOutputs()
    {
        var values = InitializerStatistics.Fill(new HeUniformInitializer(FanMode.FanOut));

        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(2.0 / 256));
    }

    [Fact]
    public void Fill_LeakySlope_UsesLeakyReluGain()
    {
        var values = InitializerStatistics.Fill(new HeUniformInitializer(FanMode.FanIn, 0.5f));

        // gain = √(2 / (1 + 0.25))
        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(2.0 / 1.25) / Math.Sqrt(512));
    }

    [Fact]
    public void Constructor_NegativeSlope_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new HeUniformInitializer(FanMode.FanIn, -0.1f));

        Assert.StartsWith("Invalid negativeSlope: -0.1 (must be finite and >= 0)", error.Message);
    }

    [Fact]
    public void Constructor_UndefinedFanMode_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new HeUniformInitializer((FanMode)7));

        Assert.StartsWith("Invalid fanMode: 7 (must be FanIn or FanOut)", error.Message);
    }
}
