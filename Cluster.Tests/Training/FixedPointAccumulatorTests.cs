using Xunit;
using DistributedTrainer.Training;

namespace DistributedTrainer.Tests.Training;

public class FixedPointAccumulatorTests
{
    private static float[][] RandomVectors(int count, int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 4)))).ToArray())
            .ToArray();
    }

    [Fact]
    public void Add_AnyOrderAndGrouping_GivesBitwiseIdenticalSums()
    {
        var vectors = RandomVectors(12, 257, seed: 3);
        var inOrder = new FixedPointAccumulator(257);
        foreach (var vector in vectors)
        {
            inOrder.Add(vector);
        }

        // Three "workers" each sum a different subset, then the partial sums are combined in reverse.
        var partials = Enumerable.Range(0, 3).Select(_ => new FixedPointAccumulator(257)).ToArray();
        for (int i = vectors.Length - 1; i >= 0; i--)
        {
            partials[(i * 7) % 3].Add(vectors[i]);
        }
        var combined = new FixedPointAccumulator(257);
        foreach (var partial in partials.Reverse())
        {
            combined.Add(partial.Values);
        }

        Assert.Equal(inOrder.Values.ToArray(), combined.Values.ToArray());
    }

    [Fact]
    public void CopyTo_WithMultiplier_IsCloseToDoubleSum()
    {
        var vectors = RandomVectors(4, 64, seed: 5);
        var sum = new FixedPointAccumulator(64);
        foreach (var vector in vectors)
        {
            sum.Add(vector);
        }
        var mean = new float[64];

        sum.CopyTo(mean, 0.25);

        for (int i = 0; i < 64; i++)
        {
            double expected = vectors.Sum(v => (double)v[i]) / 4;
            Assert.True(Math.Abs(mean[i] - expected) <= 1e-9 + 1e-6 * Math.Abs(expected), $"element {i}: {mean[i]} vs {expected}");
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(3e7f)]
    public void Add_NonFiniteOrOutOfRange_MarksSumNotFiniteAtThatIndex(float bad)
    {
        var sum = new FixedPointAccumulator(4);

        sum.Add([1f, 2f, bad, 4f]);

        Assert.False(sum.IsFinite);
        Assert.Equal(2, sum.FirstNonFiniteIndex);
    }

    [Fact]
    public void Add_WrongLength_ThrowsNamingBothLengths()
    {
        var sum = new FixedPointAccumulator(4);

        var error = Assert.Throws<ArgumentException>(() => sum.Add(new float[3]));

        Assert.Contains("4", error.Message);
        Assert.Contains("3", error.Message);
    }
}
