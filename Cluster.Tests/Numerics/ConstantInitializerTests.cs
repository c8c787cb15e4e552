using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ConstantInitializerTests
{
    [Fact]
    public void Fill_BiasVector_WritesValueEverywhere()
    {
        var values = new float[5];

        new ConstantInitializer(0.1f).Fill(values, 5, 5, new Random(1));

        Assert.All(values, value => Assert.Equal(0.1f, value));
    }

    [Fact]
    public void Constructor_NaN_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantInitializer(float.NaN));

        Assert.StartsWith("Invalid value: NaN (must be finite)", error.Message);
    }
}
