using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class HeNormalInitializerTests
{
    [Fact]
    public void Fill_FanIn_MomentsMatchKaiming()
    {
        var values = InitializerStatistics.Fill(new HeNormalInitializer());

        // σ = √2 / √fanIn
        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(2.0 / 512));
    }

    [Fact]
    public void Fill_FanOut_ScalesByOutputs()
    {
        var values = InitializerStatistics.Fill(new HeNormalInitializer(FanMode.FanOut));

        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(2.0 / 256));
    }

    [Fact]
    public void Fill_FanIn_HasNormalShape()
    {
        var values = InitializerStatistics.Fill(new HeNormalInitializer());

        InitializerStatistics.AssertNormalShape(values, 0, Math.Sqrt(2.0 / 512));
    }
}
