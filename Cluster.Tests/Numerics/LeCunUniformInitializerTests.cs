using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class LeCunUniformInitializerTests
{
    [Fact]
    public void Fill_FanIn_FillsLeCunBound()
    {
        var values = InitializerStatistics.Fill(new LeCunUniformInitializer());

        // b = √(3 / fanIn)
        InitializerStatistics.AssertFillsRange(values, -Math.Sqrt(3.0 / 512), Math.Sqrt(3.0 / 512));
    }

    [Fact]
    public void Fill_FanOut_MomentsMatchLeCun()
    {
        var values = InitializerStatistics.Fill(new LeCunUniformInitializer(FanMode.FanOut));

        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(1.0 / 256));
    }
}
