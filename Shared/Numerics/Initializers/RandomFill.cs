namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// Uniform and Gaussian draws from a <see cref="Random"/>, so a seeded <see cref="Random"/> gives the same
/// initial parameters on every machine (seeded <see cref="Random"/> is platform-independent).
/// </summary>
internal static class RandomFill
{
    /// <summary>destination (N) &lt;- U[low, high].</summary>
    public static void Uniform(Span<float> destination, double low, double high, Random random)
    {
        double width = high - low;
        for (int i = 0; i < destination.Length; i++)
        {
            // low + width·u < high in double; rounding to float can reach high but never pass it.
            destination[i] = (float)(low + width * random.NextDouble());
        }
    }

    /// <summary>destination (N) &lt;- N(mean, std²), by Box–Muller, two values per pair of uniforms.</summary>
    public static void Normal(Span<float> destination, double mean, double std, Random random)
    {
        int i = 0;
        for (; i + 1 < destination.Length; i += 2)
        {
            var (first, second) = StandardPair(random);
            destination[i] = (float)(mean + std * first);
            destination[i + 1] = (float)(mean + std * second);
        }
        if (i < destination.Length)
        {
            destination[i] = (float)(mean + std * StandardPair(random).First);
        }
    }

    /// <summary>destination (N) &lt;- N(0, 1) in double precision, by Box–Muller.</summary>
    public static void StandardNormal(Span<double> destination, Random random)
    {
        int i = 0;
        for (; i + 1 < destination.Length; i += 2)
        {
            (destination[i], destination[i + 1]) = StandardPair(random);
        }
        if (i < destination.Length)
        {
            destination[i] = StandardPair(random).First;
        }
    }

    private static (double First, double Second) StandardPair(Random random)
    {
        // 1 − NextDouble() lies in (0, 1], so the logarithm stays finite.
        double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * random.NextDouble());
        return (radius * cos, radius * sin);
    }
}
