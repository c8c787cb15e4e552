using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class IdentityInitializerTests
{
    [Fact]
    public void Fill_Square_WritesIdentity()
    {
        var weights = new float[9];

        new IdentityInitializer().Fill(weights, 3, 3, new Random(1));

        Assert.Equal([1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f], weights);
    }

    [Fact]
    public void Fill_WideWithGain_WritesScaledLeadingDiagonal()
    {
        var weights = new float[2 * 3];

        new IdentityInitializer(0.5f).Fill(weights, 3, 2, new Random(1));

        Assert.Equal([0.5f, 0f, 0f, 0f, 0.5f, 0f], weights);
    }

    [Fact]
    public void Fill_Tall_WritesLeadingDiagonalAndZeroRows()
    {
        float[] weights = [9f, 9f, 9f, 9f, 9f, 9f];

        new IdentityInitializer().Fill(weights, 2, 3, new Random(1));

        Assert.Equal([1f, 0f, 0f, 1f, 0f, 0f], weights);
    }

    [Fact]
    public void Fill_BiasVector_ThrowsMatricesOnly()
    {
        var error = Assert.Throws<ArgumentException>(() => new IdentityInitializer().Fill(new float[3], 3, 3, new Random(1)));

        Assert.StartsWith("Invalid destination length for identity: 3", error.Message);
    }
}
