using DistributedTrainer.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public sealed class GradientClippingTests
{
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    [Fact]
    public void GlobalNorm_ThreeFour_IsFive()
    {
        Assert.Equal(5.0, GradientClipping.GlobalNorm([3f, 4f]));
    }

    [Fact]
    public void GlobalNorm_EveryLengthUpTo256_MatchesScalarDoubleLoop()
    {
        for (int length = 0; length <= 256; length++)
        {
            float[] gradients = Values(length, length);
            double expected = Math.Sqrt(gradients.Sum(value => (double)value * value));

            double actual = GradientClipping.GlobalNorm(gradients);

            Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Max(1, expected), $"length {length}: {actual:R} vs {expected:R}");
        }
    }

    [Fact]
    public void GlobalNorm_SquaresBeyondFloatRange_DoesNotOverflow()
    {
        double norm = GradientClipping.GlobalNorm([1e30f, 1e30f, 1e30f, 1e30f, 1e30f, 1e30f, 1e30f, 1e30f, 1e30f]);

        Assert.Equal(3e30, norm, 1e-6 * 3e30);
    }

    [Fact]
    public void ClipByGlobalNorm_NormAboveMax_ScalesToMaxNorm()
    {
        float[] gradients = [3f, 4f];

        var result = GradientClipping.ClipByGlobalNorm(gradients, 1f);

        Assert.Equal((5.0, 0.2f, 0.6f, 0.8f), (result.Norm, result.Scale, gradients[0], gradients[1]));
    }

    [Fact]
    public void ClipByGlobalNorm_LongGradient_EndsAtMaxNorm()
    {
        float[] gradients = Values(1000, 7);

        GradientClipping.ClipByGlobalNorm(gradients, 0.5f);

        Assert.Equal(0.5, GradientClipping.GlobalNorm(gradients), 1e-6);
    }

    [Fact]
    public void ClipByGlobalNorm_NormBelowMax_LeavesGradientsUnchanged()
    {
        float[] gradients = [3f, 4f];

        var result = GradientClipping.ClipByGlobalNorm(gradients, 10f);

        Assert.Equal((5.0, 1f, 3f, 4f), (result.Norm, result.Scale, gradients[0], gradients[1]));
    }

    [Fact]
    public void ClipByGlobalNorm_ZeroGradient_ScaleIsOne()
    {
        var result = GradientClipping.ClipByGlobalNorm(new float[5], 1f);

        Assert.Equal(new GradientClipping.ClipResult(0, 1f), result);
    }

    [Fact]
    public void ClipByGlobalNorm_NaNElement_ReportsNaNAndLeavesGradientsUnchanged()
    {
        float[] gradients = [3f, float.NaN, 4f];

        var result = GradientClipping.ClipByGlobalNorm(gradients, 1f);

        Assert.Equal((double.NaN, 1f, 3f, 4f), (result.Norm, result.Scale, gradients[0], gradients[2]));
    }

    [Theory]
    [InlineData(0f, "Invalid max_global_norm: 0 (must be finite and > 0)")]
    [InlineData(-1f, "Invalid max_global_norm: -1 (must be finite and > 0)")]
    [InlineData(float.NaN, "Invalid max_global_norm: NaN (must be finite and > 0)")]
    public void ClipByGlobalNorm_InvalidMaxNorm_ThrowsNamingValue(float maxNorm, string message)
    {
        var exception = Assert.Throws<ArgumentException>(() => GradientClipping.ClipByGlobalNorm(new float[3], maxNorm));

        Assert.StartsWith(message, exception.Message);
    }

    [Fact]
    public void ClipByValue_ElementsBeyondLimit_AreClamped()
    {
        float[] gradients = [-3f, -0.5f, 0f, 0.25f, 2f];

        GradientClipping.ClipByValue(gradients, 1f);

        Assert.Equal([-1f, -0.5f, 0f, 0.25f, 1f], gradients);
    }

    [Fact]
    public void ClipByValue_NegativeLimit_ThrowsNamingValue()
    {
        var exception = Assert.Throws<ArgumentException>(() => GradientClipping.ClipByValue(new float[3], -1f));

        Assert.StartsWith("Invalid clip_value: -1 (must be finite and > 0)", exception.Message);
    }

    [Fact]
    public void AllFinite_FiniteValues_IsTrue()
    {
        Assert.True(GradientClipping.AllFinite(Values(100, 3)));
    }

    [Theory]
    [InlineData(0, float.NaN)]
    [InlineData(31, float.NaN)]
    [InlineData(98, float.NaN)]
    [InlineData(99, float.PositiveInfinity)]
    [InlineData(40, float.NegativeInfinity)]
    public void AllFinite_OneNonFiniteElement_IsFalse(int index, float value)
    {
        float[] gradients = Values(100, 3);
        gradients[index] = value;

        Assert.False(GradientClipping.AllFinite(gradients));
    }
}
