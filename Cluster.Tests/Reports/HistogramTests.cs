using DistributedTrainer.Reports.TensorBoard;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public sealed class HistogramTests
{
    [Fact]
    public void DefaultLimits_AsTensorFlow_AreSymmetricAroundZeroAndEndAtDoubleMax()
    {
        var limits = Histogram.DefaultLimits;

        Assert.Equal(1551, limits.Length);
        Assert.Equal(0.0, limits[limits.Length / 2]);
        Assert.Equal(1e-12, limits[limits.Length / 2 + 1]);
        Assert.Equal(double.MaxValue, limits[^1]);
        Assert.Equal(limits.Select(limit => -limit).Reverse(), limits);
    }

    [Fact]
    public void Build_Values_SummarizesAndCountsEveryFiniteValueOnce()
    {
        float[] values = [-2f, -0.5f, 0f, 0f, 0.25f, 3f, float.NaN, float.PositiveInfinity];

        var histogram = Histogram.Build(values);

        Assert.Equal(6, histogram.Num);
        Assert.Equal(-2, histogram.Min);
        Assert.Equal(3, histogram.Max);
        Assert.Equal(0.75, histogram.Sum, 12);
        Assert.Equal(4 + 0.25 + 0.0625 + 9, histogram.SumSquares, 12);
        Assert.Equal(6, histogram.Bucket.Sum());
        Assert.Equal(histogram.Bucket.Count, histogram.BucketLimit.Count);
    }

    [Fact]
    public void Build_Zero_FallsInTheBucketAboveZero()
    {
        var histogram = Histogram.Build([0f]);

        int bucket = histogram.Bucket.ToList().FindIndex(count => count > 0);
        Assert.Equal(1e-12, histogram.BucketLimit[bucket]);
    }

    [Fact]
    public void Build_OneValue_CollapsesEmptyRunsAroundIt()
    {
        var histogram = Histogram.Build([1f]);

        Assert.Equal(3, histogram.Bucket.Count);
        Assert.Equal([0.0, 1.0, 0.0], histogram.Bucket);
        Assert.Equal(double.MaxValue, histogram.BucketLimit[^1]);
    }

    [Fact]
    public void BucketOf_ValuesOfEveryMagnitudeAndEveryLimit_AsTheUpperBoundOfTheLimits()
    {
        var random = new Random(7);
        var values = new List<double> { 0.0, -0.0, 1e-13, -1e-13, float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon };
        foreach (double limit in Histogram.DefaultLimits.Where(double.IsFinite).Where(limit => Math.Abs(limit) < double.MaxValue))
        {
            values.AddRange([limit, Math.BitDecrement(limit), Math.BitIncrement(limit)]);
        }
        for (int i = 0; i < 100_000; i++)
        {
            double magnitude = Math.Pow(10, random.NextDouble() * 40 - 20);
            values.Add(random.Next(2) == 0 ? magnitude : -magnitude);
            values.Add((float)(random.NextDouble() * 2 - 1));
        }

        foreach (double value in values)
        {
            int found = Array.BinarySearch(Histogram.DefaultLimits, value);
            int expected = found >= 0 ? found + 1 : ~found;
            Assert.True(expected == Histogram.BucketOf(value), $"value {value:R}: bucket {Histogram.BucketOf(value)}, expected {expected}");
        }
    }
}
