using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class NormalInitializerTests
{
    [Fact]
    public void Fill_LargeMatrix_MomentsMatchMeanAndStd()
    {
        var values = InitializerStatistics.Fill(new NormalInitializer(0.5f, 0.2f));

        InitializerStatistics.AssertMoments(values, 0.5, 0.2);
    }

    [Fact]
    public void Fill_LargeMatrix_HasNormalShape()
    {
        var values = InitializerStatistics.Fill(new NormalInitializer(0.5f, 0.2f));

        InitializerStatistics.AssertNormalShape(values, 0.5, 0.2);
    }

    [Fact]
    public void Fill_OddLength_WritesLastElement()
    {
        var values = new float[5];
        values[4] = float.NaN;

        new NormalInitializer(0f, 1f).Fill(values, 5, 5, new Random(3));

        Assert.True(float.IsFinite(values[4]) && values[4] != 0f);
    }

    [Fact]
    public void Fill_SameSeed_WritesSameValues()
    {
        var first = new float[12];
        var second = new float[12];

        new NormalInitializer().Fill(first, 4, 3, new Random(7));
        new NormalInitializer().Fill(second, 4, 3, new Random(7));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Constructor_NegativeStd_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new NormalInitializer(0f, -1f));

        Assert.StartsWith("Invalid std: -1 (must be finite and > 0)", error.Message);
    }
}
