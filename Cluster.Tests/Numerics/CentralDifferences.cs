using Xunit;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>Numerical gradients for checking hand-written backward passes.</summary>
internal static class CentralDifferences
{
    /// <summary>
    /// d f / d point by central differences. Each coordinate moves by ±eps; the step is measured after rounding
    /// to float, so the quotient uses the exact distance between the two probes.
    /// </summary>
    public static double[] Gradient(Func<float[], double> f, float[] point, double eps = 1e-3)
    {
        var gradient = new double[point.Length];
        var probe = point.ToArray();
        for (int i = 0; i < point.Length; i++)
        {
            float plus = (float)(point[i] + eps);
            float minus = (float)(point[i] - eps);
            probe[i] = plus;
            double above = f(probe);
            probe[i] = minus;
            double below = f(probe);
            probe[i] = point[i];
            gradient[i] = (above - below) / ((double)plus - minus);
        }
        return gradient;
    }

    /// <summary>Asserts |analytic − numeric| &lt;= tolerance · max(1, |numeric|) everywhere, naming the worst element.</summary>
    public static void AssertClose(ReadOnlySpan<float> analytic, double[] numeric, double tolerance)
    {
        Assert.Equal(numeric.Length, analytic.Length);
        double worst = 0;
        int worstIndex = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            double error = Math.Abs(analytic[i] - numeric[i]) / Math.Max(1.0, Math.Abs(numeric[i]));
            if (error > worst)
            {
                worst = error;
                worstIndex = i;
            }
        }
        Assert.True(worst <= tolerance,
            $"Largest scaled difference {worst:E3} at {worstIndex}: analytic {analytic[worstIndex]}, numeric {numeric[worstIndex]} (tolerance {tolerance:E1}).");
    }
}
