using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class LeCunNormalInitializerTests
{
    [Fact]
    public void Fill_FanIn_MomentsMatchLeCun()
    {
        var values = InitializerStatistics.Fill(new LeCunNormalInitializer());

        // σ = 1 / √fanIn
        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(1.0 / 512));
    }

    [Fact]
    public void Fill_BiasVector_UsesItsLengthAsFan()
    {
        var values = new float[40000];

        new LeCunNormalInitializer().Fill(values, 40000, 40000, new Random(5));

        InitializerStatistics.AssertMoments(values, 0, Math.Sqrt(1.0 / 40000));
    }
}
