using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>Moment and range checks for initializers, with tolerances from sampling theory.</summary>
internal static class InitializerStatistics
{
    /// <summary>Rows and columns of the matrix the statistics tests fill: fanOut 256, fanIn 512.</summary>
    public const int FanOut = 256;

    /// <summary>Inputs per unit of the statistics matrix.</summary>
    public const int FanIn = 512;

    /// <summary>
    /// Asserts the sample mean lies within 5 standard errors of <paramref name="mean"/> (σ/√n; about 0.014σ for
    /// 131072 values) and the sample standard deviation within 2% of <paramref name="std"/> (its standard
    /// error is about 0.2% for a normal and less for a uniform).
    /// </summary>
    public static void AssertMoments(ReadOnlySpan<float> values, double mean, double std)
    {
        double sum = 0;
        foreach (float value in values)
        {
            sum += value;
        }
        double sampleMean = sum / values.Length;
        double squares = 0;
        foreach (float value in values)
        {
            squares += (value - sampleMean) * (value - sampleMean);
        }
        double sampleStd = Math.Sqrt(squares / (values.Length - 1));

        double meanError = Math.Abs(sampleMean - mean);
        double stdError = Math.Abs(sampleStd / std - 1);
        Assert.True(meanError <= 5 * std / Math.Sqrt(values.Length) && stdError <= 0.02,
            $"Sample mean {sampleMean:G6} (expected {mean:G6}), std {sampleStd:G6} (expected {std:G6}).");
    }

    /// <summary>Asserts every value lies in [low, high] and the extremes come within 1% of the width of each end.</summary>
    public static void AssertFillsRange(ReadOnlySpan<float> values, double low, double high)
    {
        float min = TensorPrimitives.Min(values);
        float max = TensorPrimitives.Max(values);
        double slack = 0.01 * (high - low);
        Assert.True(min >= low && max <= high && min < low + slack && max > high - slack,
            $"Values span [{min}, {max}]; expected to fill [{low}, {high}].");
    }

    /// <summary>Asserts the fraction of values within one standard deviation of the mean is 68.27% ± 0.5%, as for a normal.</summary>
    public static void AssertNormalShape(ReadOnlySpan<float> values, double mean, double std)
    {
        int inside = 0;
        foreach (float value in values)
        {
            if (Math.Abs(value - mean) <= std)
            {
                inside++;
            }
        }
        double fraction = (double)inside / values.Length;
        Assert.True(Math.Abs(fraction - 0.6827) <= 0.005, $"{fraction:P2} of values lie within one std; a normal has 68.27%.");
    }

    /// <summary>A (FanOut, FanIn) matrix filled by <paramref name="initializer"/> from a fixed seed.</summary>
    public static float[] Fill(Initializer initializer, int seed = 42)
    {
        var values = new float[FanOut * FanIn];
        initializer.Fill(values, FanIn, FanOut, new Random(seed));
        return values;
    }
}
