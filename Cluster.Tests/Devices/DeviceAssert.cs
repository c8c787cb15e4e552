using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>Comparisons of device results with the SIMD path's.</summary>
internal static class DeviceAssert
{
    /// <summary>
    /// Kernels sum in another order than the SIMD kernels (blocked GEMM, FMA), so floats may differ by rounding: each
    /// element must be within <paramref name="tolerance"/> x (1 + |expected|). Reports the largest difference.
    /// </summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        float worstExcess = 0;
        float largest = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float difference = MathF.Abs(expected[i] - actual[i]);
            largest = MathF.Max(largest, difference);
            float excess = difference - tolerance * (1 + MathF.Abs(expected[i]));
            if (!(excess <= worstExcess))
            {
                worst = i;
                worstExcess = float.IsNaN(excess) ? float.PositiveInfinity : excess;
            }
        }
        Assert.True(worst < 0,
            $"{what}: element {worst} is {actual[Math.Max(worst, 0)]}, expected {expected[Math.Max(worst, 0)]} (tolerance {tolerance} x (1 + |expected|); largest difference {largest})");
    }

    /// <summary><paramref name="count"/> floats uniform in [-1, 1) from <paramref name="seed"/>.</summary>
    public static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1)];
    }
}
