using DistributedTrainer.Protos.TensorBoard;

namespace DistributedTrainer.Reports.TensorBoard;

/// <summary>
/// TensorFlow's default histogram (tensorflow/core/lib/histogram/histogram.cc): bucket limits ±1e-12 · 1.1^k
/// up to 1e20, then ±DBL_MAX, with 0 in the middle; a value falls in the first bucket whose limit exceeds it.
/// </summary>
internal static class Histogram
{
    /// <summary>The bucket limits, ascending: -DBL_MAX, ..., -1e-12, 0, 1e-12, ..., DBL_MAX.</summary>
    public static readonly double[] DefaultLimits = BuildLimits();

    private const double SmallestLimit = 1e-12;

    // The index of 0 in DefaultLimits; the positive limits follow it, the negative ones mirror them before it.
    private static readonly int Zero = DefaultLimits.Length / 2;

    private static readonly double LogGrowth = Math.Log(1.1);

    /// <summary>
    /// The histogram of the finite values in <paramref name="values"/> (NaN and infinity are left out, as they
    /// would make min, max and sum meaningless); runs of empty buckets collapse into one, as TensorFlow encodes them.
    /// </summary>
    public static HistogramProto Build(ReadOnlySpan<float> values)
    {
        var counts = new double[DefaultLimits.Length];
        double min = double.MaxValue, max = -double.MaxValue, sum = 0, sumSquares = 0, count = 0;
        foreach (float single in values)
        {
            if (!float.IsFinite(single))
            {
                continue;
            }
            double value = single;
            counts[BucketOf(value)]++;
            min = Math.Min(min, value);
            max = Math.Max(max, value);
            sum += value;
            sumSquares += value * value;
            count++;
        }

        var histogram = new HistogramProto { Min = min, Max = max, Num = count, Sum = sum, SumSquares = sumSquares };
        for (int bucket = 0; bucket < counts.Length;)
        {
            double limit = DefaultLimits[bucket];
            double bucketCount = counts[bucket];
            bucket++;
            if (bucketCount <= 0)
            {
                while (bucket < counts.Length && counts[bucket] <= 0)
                {
                    limit = DefaultLimits[bucket];
                    bucket++;
                }
            }
            histogram.BucketLimit.Add(limit);
            histogram.Bucket.Add(bucketCount);
        }
        return histogram;
    }

    /// <summary>
    /// The bucket of finite <paramref name="value"/>: the index of the first limit above it (upper bound, so a value
    /// equal to a limit falls in the next bucket). The limits grow geometrically, so a logarithm finds the bucket to
    /// within one and a step or two makes it exact. For the reference MLP's 235 146 weights this takes 10 ms where a
    /// binary search over the 1551 limits took 28 ms, twice (weights and gradients) on the step's path every 100 steps.
    /// </summary>
    internal static int BucketOf(double value)
    {
        double magnitude = Math.Abs(value);
        int guess;
        if (magnitude < SmallestLimit)
        {
            guess = value < 0 ? Zero : Zero + 1;
        }
        else
        {
            // SmallestLimit * 1.1^power <= magnitude, up to rounding.
            int power = (int)(Math.Log(magnitude / SmallestLimit) / LogGrowth);
            guess = value > 0 ? Zero + 2 + power : Zero - power;
        }
        int bucket = Math.Clamp(guess, 1, DefaultLimits.Length - 1);
        while (bucket > 1 && DefaultLimits[bucket - 1] > value)
        {
            bucket--;
        }
        while (bucket < DefaultLimits.Length - 1 && DefaultLimits[bucket] <= value)
        {
            bucket++;
        }
        return bucket;
    }

    private static double[] BuildLimits()
    {
        var positive = new List<double>();
        for (double limit = 1e-12; limit < 1e20; limit *= 1.1)
        {
            positive.Add(limit);
        }
        positive.Add(double.MaxValue);
        var limits = new List<double>(2 * positive.Count + 1);
        limits.AddRange(positive.AsEnumerable().Reverse().Select(limit => -limit));
        limits.Add(0.0);
        limits.AddRange(positive);
        return [.. limits];
    }
}
