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

    // Values at the edges of the conversion: the range limit 2^24 and just below it, NaN, infinities, signed
    // zeros, subnormals, and ties of the rounding to 2^-32 units (0.5, 1.5 and 2.5 units round to 0, 2 and 2).
    private static readonly float[] s_edges =
    [
        16777216f, -16777216f, 16777215f, -16777215f, float.NaN, float.PositiveInfinity, float.NegativeInfinity,
        0f, -0f, float.Epsilon, -float.Epsilon, 1e-38f, MathF.ScaleB(1f, -33), -MathF.ScaleB(1f, -33),
        MathF.ScaleB(3f, -33), -MathF.ScaleB(3f, -33), MathF.ScaleB(5f, -33), MathF.ScaleB(1f, -32), 1f, -1f,
        8388607.5f, 3e7f, float.MaxValue, float.MinValue,
    ];

    private static float[] EdgeMix(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            // Mostly ordinary gradients with an edge value now and then, so most vectors take the fast path.
            values[i] = random.Next(8) == 0
                ? s_edges[random.Next(s_edges.Length)]
                : (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-12, 8)));
        }
        return values;
    }

    [Theory]
    [InlineData((int)FixedPointWidth.Vector256)]
    [InlineData((int)FixedPointWidth.Vector512)]
    public void Add_VectorWidth_MatchesScalarBitwise(int widthValue)
    {
        var width = (FixedPointWidth)widthValue;
        for (int length = 0; length <= 300; length += length < 70 ? 1 : 23)
        {
            var scalar = new FixedPointAccumulator(length);
            var vector = new FixedPointAccumulator(length);
            for (int round = 0; round < 3; round++)
            {
                var values = EdgeMix(length, seed: length * 3 + round);
                scalar.Add(values, FixedPointWidth.Scalar);
                vector.Add(values, width);
            }

            Assert.True(scalar.Values.SequenceEqual(vector.Values), $"length {length}");
            Assert.Equal((scalar.IsFinite, scalar.FirstNonFiniteIndex), (vector.IsFinite, vector.FirstNonFiniteIndex));
        }
    }

    [Fact]
    public void Add_EdgeValues_RoundToNearestEvenUnitsAndRejectTheLimit()
    {
        var sum = new FixedPointAccumulator(6);

        sum.Add([MathF.ScaleB(1f, -33), MathF.ScaleB(3f, -33), MathF.ScaleB(5f, -33), -MathF.ScaleB(3f, -33), 16777215f, 16777216f]);

        Assert.Equal(new long[] { 0, 2, 2, -2, 16777215L << 32, 0 }, sum.Values.ToArray());
        Assert.Equal(5, sum.FirstNonFiniteIndex);
    }

    [Theory]
    [InlineData((int)FixedPointWidth.Vector256)]
    [InlineData((int)FixedPointWidth.Vector512)]
    public void CopyTo_VectorWidth_MatchesScalarBitwise(int widthValue)
    {
        var width = (FixedPointWidth)widthValue;
        var random = new Random(17);
        for (int length = 0; length <= 300; length += length < 70 ? 1 : 23)
        {
            var sum = new FixedPointAccumulator(length);
            for (int i = 0; i < length; i++)
            {
                // Up to 2^62 in magnitude, so long to double rounds too, plus zeros and the extremes.
                sum.Values[i] = (i % 11) switch
                {
                    0 => 0,
                    1 => long.MaxValue,
                    2 => long.MinValue + 1,
                    _ => (long)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(0, 63))),
                };
            }
            var scalar = new float[length];
            var vector = new float[length];

            sum.CopyTo(scalar, 1.0 / 3, FixedPointWidth.Scalar);
            sum.CopyTo(vector, 1.0 / 3, width);

            Assert.True(scalar.AsSpan().SequenceEqual(vector), $"length {length}");
        }
    }

    [Fact]
    public void ToFloats_ASegmentOfTheSums_MatchesCopyToOfTheWholeBitwise()
    {
        // A worker converts only its ring segment, which starts anywhere (vectors unaligned to it); the coordinator's
        // own averaging of the whole vector must give the same floats.
        var random = new Random(29);
        var sum = new FixedPointAccumulator(1001);
        for (int i = 0; i < sum.Length; i++)
        {
            sum.Values[i] = (long)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(0, 63)));
        }
        double multiplier = StepGradient.MultiplierFor(96);
        var whole = new float[sum.Length];
        sum.CopyTo(whole, multiplier);

        foreach (var (offset, length) in new[] { (0, 1001), (3, 500), (501, 500), (997, 4), (17, 0) })
        {
            var segment = new float[length];
            FixedPointAccumulator.ToFloats(sum.Values.Slice(offset, length), segment, multiplier);

            Assert.True(segment.AsSpan().SequenceEqual(whole.AsSpan(offset, length)), $"segment [{offset}, {offset + length})");
        }
    }

    [Fact]
    public void ToFloats_LengthsDiffer_ThrowsNamingBoth()
    {
        var failure = Assert.Throws<ArgumentException>(() => FixedPointAccumulator.ToFloats(new long[3], new float[2], 1.0));

        Assert.Contains("3 sums need 3 floats; got 2", failure.Message);
    }

    [Fact]
    public void Add_Accumulator_SumsAndKeepsLowestOffendingIndex()
    {
        var first = new FixedPointAccumulator(40);
        var second = new FixedPointAccumulator(40);
        var bad = new float[40];
        bad[30] = float.NaN;
        first.Add(bad);
        bad[30] = 0f;
        bad[7] = float.PositiveInfinity;
        second.Add(bad);
        second.Add(Enumerable.Repeat(1f, 40).ToArray());

        first.Add(second);

        Assert.Equal(7, first.FirstNonFiniteIndex);
        Assert.Equal(1L << 32, first.Values[0]);
    }

    [Fact]
    public void Storage_ASliceOfAVector_SumsInPlaceAsAnOwnArrayDoesAndLeavesTheRestAlone()
    {
        var vectors = RandomVectors(5, 100, seed: 11);
        var own = new FixedPointAccumulator(100);
        var flat = Enumerable.Repeat(-7L, 160).ToArray();
        var slice = new FixedPointAccumulator(flat.AsMemory(30, 100));
        Assert.All(flat.AsSpan(30, 100).ToArray(), sum => Assert.Equal(0L, sum));

        foreach (var vector in vectors)
        {
            own.Add(vector);
            slice.Add(vector);
        }

        Assert.Equal(100, slice.Length);
        Assert.Equal(own.Values.ToArray(), flat.AsSpan(30, 100).ToArray());
        Assert.Equal(own.Values.ToArray(), slice.Values.ToArray());
        Assert.All(flat.AsSpan(0, 30).ToArray().Concat(flat.AsSpan(130).ToArray()), sum => Assert.Equal(-7L, sum));
        slice.Clear();
        Assert.All(flat.AsSpan(30, 100).ToArray(), sum => Assert.Equal(0L, sum));
        Assert.Equal(-7L, flat[29]);
        Assert.Equal(-7L, flat[130]);
    }
}
