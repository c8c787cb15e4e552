using System.Buffers.Binary;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Collective;
using Xunit;

namespace DistributedTrainer.Tests.Training.Collective;

public sealed class FixedPointBlocksTests
{
    private static readonly long[] s_edges =
    [
        0, 1, -1, int.MaxValue, int.MinValue, int.MaxValue + 1L, int.MinValue - 1L, long.MaxValue, long.MinValue, 1L << 40, -(1L << 40),
    ];

    [Theory]
    [InlineData((int)FixedPointWidth.Scalar)]
    [InlineData((int)FixedPointWidth.Vector256)]
    [InlineData((int)FixedPointWidth.Vector512)]
    public void PackThenTryAdd_AnyLengthAndMix_AddsEveryValueExactly(int widthValue)
    {
        var width = (FixedPointWidth)widthValue;
        for (int length = 0; length <= 1100; length += length < 20 ? 1 : length is >= 250 and <= 260 ? 1 : 37)
        {
            long[] values = GradientLike(length, seed: length);
            long[] sums = GradientLike(length, seed: length + 7);
            long[] expected = [.. sums.Zip(values, (a, b) => a + b)];
            byte[] packed = new byte[FixedPointBlocks.MaxPackedBytes(length)];

            int written = FixedPointBlocks.Pack(values, packed, width);

            Assert.True(FixedPointBlocks.TryAdd(packed.AsSpan(0, written), sums, width), $"length {length}");
            Assert.True(expected.SequenceEqual(sums), $"length {length}");
        }
    }

    [Theory]
    [InlineData((int)FixedPointWidth.Vector256)]
    [InlineData((int)FixedPointWidth.Vector512)]
    public void Pack_VectorWidth_TheScalarBytes(int widthValue)
    {
        var width = (FixedPointWidth)widthValue;
        for (int length = 0; length <= 1100; length += length < 40 ? 1 : 61)
        {
            long[] values = GradientLike(length, seed: 3 * length);
            byte[] scalar = new byte[FixedPointBlocks.MaxPackedBytes(length)];
            byte[] vector = new byte[scalar.Length];

            int scalarBytes = FixedPointBlocks.Pack(values, scalar, FixedPointWidth.Scalar);
            int vectorBytes = FixedPointBlocks.Pack(values, vector, width);

            Assert.True(scalar.AsSpan(0, scalarBytes).SequenceEqual(vector.AsSpan(0, vectorBytes)), $"length {length}");
        }
    }

    [Theory]
    [InlineData(0L, 0L, 0)]
    [InlineData(0L, -1L, 1)]
    [InlineData(127L, -128L, 1)]
    [InlineData(128L, 0L, 2)]
    [InlineData(0L, -129L, 2)]
    [InlineData(8_388_607L, -8_388_608L, 3)]
    [InlineData((long)int.MaxValue, (long)int.MinValue, 4)]
    [InlineData(int.MaxValue + 1L, 0L, 5)]
    [InlineData(0L, int.MinValue - 1L, 5)]
    [InlineData((1L << 39) - 1, 0L, 5)]
    [InlineData(1L << 39, 0L, 6)]
    [InlineData((1L << 55) - 1, 0L, 7)]
    [InlineData(long.MaxValue, long.MinValue, 8)]
    public void Pack_ABlocksWidestValues_TheFewestBytesThatHoldThem(long first, long second, int bytesPerElement)
    {
        // A block of 256, then a short block of 3 values holding the two given ones; every other value is zero.
        long[] values = new long[FixedPointBlocks.BlockLength + 3];
        values[FixedPointBlocks.BlockLength] = first;
        values[^1] = second;
        byte[] packed = new byte[FixedPointBlocks.MaxPackedBytes(values.Length)];
        long[] sums = new long[values.Length];

        int written = FixedPointBlocks.Pack(values, packed);

        Assert.Equal([0, (byte)bytesPerElement], packed[..2]);
        Assert.Equal(2 + (3 * bytesPerElement), written);
        Assert.True(FixedPointBlocks.TryAdd(packed.AsSpan(0, written), sums));
        Assert.Equal(values, sums);
    }

    [Fact]
    public void Pack_Int32Block_LittleEndianInt32s()
    {
        long[] values = [int.MaxValue, int.MinValue, -2];
        byte[] packed = new byte[FixedPointBlocks.MaxPackedBytes(values.Length)];

        int written = FixedPointBlocks.Pack(values, packed);

        Assert.Equal(13, written);
        Assert.Equal([int.MaxValue, int.MinValue, -2], [.. Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadInt32LittleEndian(packed.AsSpan(1 + (4 * i))))]);
    }

    [Fact]
    public void Pack_DestinationShorterThanTheMost_ThrowsNamingBothSizes()
    {
        var error = Assert.Throws<ArgumentException>(() => FixedPointBlocks.Pack(new long[300], new byte[2401]));

        Assert.StartsWith("300 values need up to 2402 bytes; got 2401.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 9, 0, 0, 0 }, "a width above 8")]
    [InlineData(new byte[] { 4, 1, 0, 0 }, "fewer bytes than the widths say")]
    [InlineData(new byte[] { 0, 0 }, "more bytes than the widths say")]
    [InlineData(new byte[0], "no width byte")]
    public void TryAdd_NotAPackingOfTheSums_FalseAndNothingChanges(byte[] packed, string why)
    {
        long[] sums = [5, -6, 7];

        Assert.False(FixedPointBlocks.TryAdd(packed, sums), why);
        Assert.Equal([5L, -6, 7], sums);
    }

    [Fact]
    public void TryAdd_SecondBlockMalformed_FirstBlockNotAdded()
    {
        long[] sums = new long[FixedPointBlocks.BlockLength + 1];
        byte[] packed = new byte[2 + (FixedPointBlocks.BlockLength * 4)];
        packed[0] = 4;
        packed[1] = 9;
        packed[2] = 1;

        Assert.False(FixedPointBlocks.TryAdd(packed, sums));
        Assert.All(sums, sum => Assert.Equal(0, sum));
    }

    /// <summary>Blocks of zeros, of values within int32 and of values beyond it, with edge values here and there.</summary>
    private static long[] GradientLike(int length, int seed)
    {
        var random = new Random(seed);
        var values = new long[length];
        int i = 0;
        while (i < length)
        {
            int run = random.Next(1, 2 * FixedPointBlocks.BlockLength);
            int kind = random.Next(10);
            for (int end = Math.Min(length, i + run); i < end; i++)
            {
                values[i] = kind switch
                {
                    < 2 => 0,
                    < 3 => random.NextInt64(-(1L << 15), 1L << 15),
                    < 7 => random.NextInt64(int.MinValue, int.MaxValue + 1L),
                    < 9 => random.NextInt64(-(1L << 38), 1L << 38),
                    _ => random.NextInt64(-(1L << 60), 1L << 60),
                };
                if (random.Next(50) == 0)
                {
                    values[i] = s_edges[random.Next(s_edges.Length)];
                }
            }
        }

        return values;
    }
}
