using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class UniformInitializerTests
{
    [Fact]
    public void Fill_LargeMatrix_MomentsMatchUniform()
    {
        var values = InitializerStatistics.Fill(new UniformInitializer(-0.2f, 0.6f));

        // U[a, b]: mean (a + b) / 2, std (b − a) / √12
        InitializerStatistics.AssertMoments(values, 0.2, 0.8 / Math.Sqrt(12));
    }

    [Fact]
    public void Fill_LargeMatrix_FillsBounds()
    {
        var values = InitializerStatistics.Fill(new UniformInitializer(-0.2f, 0.6f));

        InitializerStatistics.AssertFillsRange(values, -0.2f, 0.6f);
    }

    [Fact]
    public void Fill_SameSeed_WritesSameValues()
    {
        var first = new float[12];
        var second = new float[12];

        new UniformInitializer().Fill(first, 4, 3, new Random(7));
        new UniformInitializer().Fill(second, 4, 3, new Random(7));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Constructor_Defaults_AreProtoDefaults()
    {
        var initializer = new UniformInitializer();

        Assert.Equal((-0.05f, 0.05f), (initializer.Low, initializer.High));
    }

    [Fact]
    public void Constructor_LowAboveHigh_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new UniformInitializer(1f, 0f));

        Assert.StartsWith("Invalid bounds: low 1 > high 0 (must be low <= high)", error.Message);
    }
}
