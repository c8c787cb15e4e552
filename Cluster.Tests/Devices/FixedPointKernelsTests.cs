using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// The device's fixed-point conversion against <see cref="FixedPointAccumulator"/>: given the same floats, bitwise the
/// same integer sums and the same lowest offending index, on the scalar definition and on this machine's vectors.
/// </summary>
public sealed class FixedPointKernelsTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    /// <summary>Floats of every magnitude in range, exact ties at half a unit, subnormals, signed zeros and the range's edge.</summary>
    private static float[] Values(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (i % 8) switch
            {
                // Any magnitude from 2^-40 to 2^23.
                0 or 1 or 2 => (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-40, 24))),
                // (2k + 1) / 2 units: a tie, rounded to the even neighbour.
                3 => (float)((2 * random.Next(-1000, 1000) + 1) * Math.Pow(2, -33)),
                4 => float.Epsilon * random.Next(1, 100) * (random.Next(2) == 0 ? 1 : -1),
                5 => random.Next(2) == 0 ? 0f : -0f,
                6 => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(16777216f) - 1) * (random.Next(2) == 0 ? 1 : -1),
                _ => (float)(random.Next(-1000, 1000) * Math.Pow(2, -32)),
            };
        }
        return values;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(256)]
    [InlineData(1031)]
    public void Add_SameFloats_GivesBitwiseTheAccumulatorsSums(int length)
    {
        var vectors = new[] { Values(length, 1), Values(length, 2), Values(length, 3) };
        var scalar = new FixedPointAccumulator(length);
        var best = new FixedPointAccumulator(length);
        using var sums = device.Zeros<long>(length);
        using var offenders = device.Upload(new[] { int.MaxValue, int.MaxValue, int.MaxValue });

        for (int v = 0; v < vectors.Length; v++)
        {
            scalar.Add(vectors[v], FixedPointWidth.Scalar);
            best.Add(vectors[v]);
            using var values = device.Upload(vectors[v]);
            device.Kernels.FixedPointAdd(length, sums.View, offenders.View, values.View, v);
        }

        var actual = AcceleratorFixture.Download<long>(sums.View);
        Assert.Equal(scalar.Values.ToArray(), actual);
        Assert.Equal(best.Values.ToArray(), actual);
        Assert.Equal([int.MaxValue, int.MaxValue, int.MaxValue], AcceleratorFixture.Download<int>(offenders.View));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(16777216f)]
    [InlineData(-3e30f)]
    public void Add_OffendingElements_SkipsThemAndReportsTheLowestIndexInItsSlot(float offender)
    {
        var values = Values(300, 4);
        values[211] = offender;
        values[42] = offender;
        var expected = new FixedPointAccumulator(values.Length);
        expected.Add(values);
        using var sums = device.Zeros<long>(values.Length);
        using var offenders = device.Upload(new[] { int.MaxValue, int.MaxValue });
        using var view = device.Upload(values);

        device.Kernels.FixedPointAdd(values.Length, sums.View, offenders.View, view.View, 1);

        Assert.Equal(expected.Values.ToArray(), AcceleratorFixture.Download<long>(sums.View));
        Assert.Equal((false, 42), (expected.IsFinite, expected.FirstNonFiniteIndex));
        Assert.Equal([int.MaxValue, 42], AcceleratorFixture.Download<int>(offenders.View));
    }
}
