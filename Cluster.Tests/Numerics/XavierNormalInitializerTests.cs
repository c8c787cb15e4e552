using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class XavierNormalInitializerTests
{
    [Fact]
    public void Fill_LargeMatrix_MomentsMatchGlorot()
    {
        var values = InitializerStatistics.Fill(new XavierNormalInitializer(0.5f));

        // σ = gain · √(2 / (512 + 256))
        InitializerStatistics.AssertMoments(values, 0, 0.5 * Math.Sqrt(2.0 / 768));
    }

    [Fact]
    public void Constructor_NegativeGain_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new XavierNormalInitializer(-1f));

        Assert.StartsWith("Invalid gain: -1 (must be finite and > 0)", error.Message);
    }
}
