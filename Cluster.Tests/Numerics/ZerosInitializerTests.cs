using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ZerosInitializerTests
{
    [Fact]
    public void Fill_Matrix_WritesZeros()
    {
        float[] values = [1f, 2f, 3f, 4f, 5f, 6f];

        new ZerosInitializer().Fill(values, 3, 2, new Random(1));

        Assert.All(values, value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Fill_LengthMatchingNeitherMatrixNorVector_ThrowsNamingShape()
    {
        var error = Assert.Throws<ArgumentException>(() => new ZerosInitializer().Fill(new float[7], 3, 2, new Random(1)));

        Assert.StartsWith("Invalid destination length for zeros: 7 (must be fanOut 2 × fanIn 3 = 6", error.Message);
    }

    [Fact]
    public void Fill_ZeroFanIn_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ZerosInitializer().Fill([], 0, 2, new Random(1)));

        Assert.StartsWith("Invalid fanIn for zeros: 0 (must be >= 1)", error.Message);
    }
}
