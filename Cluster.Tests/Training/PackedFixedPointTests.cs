using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class PackedFixedPointTests
{
    public static TheoryData<int> Lengths => [0, 1, 7, 63, 64, 65, 127, 128, 1000];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TryUnpack_PackedValuesOfEveryWidth_GivesThemBack(int length)
    {
        var random = new Random(length);
        for (int width = 0; width <= 64; width++)
        {
            long[] values = RandomValues(random, length, width);
            var packed = new byte[PackedFixedPoint.MaxPackedBytes(length)];
            int bytes = PackedFixedPoint.Pack(values, packed);
            var unpacked = new long[length];
            Array.Fill(unpacked, 99L);

            Assert.Null(PackedFixedPoint.TryUnpack(packed.AsSpan(0, bytes), unpacked, add: false));
            Assert.Equal(values, unpacked);
        }
    }

    [Fact]
    public void TryUnpack_Adding_AddsToTheDestination()
    {
        var random = new Random(7);
        long[] values = RandomValues(random, 200, 40);
        long[] existing = RandomValues(random, 200, 40);
        var packed = new byte[PackedFixedPoint.MaxPackedBytes(values.Length)];
        int bytes = PackedFixedPoint.Pack(values, packed);
        long[] sums = [.. existing];

        Assert.Null(PackedFixedPoint.TryUnpack(packed.AsSpan(0, bytes), sums, add: true));
        Assert.Equal(values.Zip(existing, (a, b) => a + b), sums);
    }

    [Fact]
    public void Pack_SmallAndZeroValues_TakeTheirWidthOnly()
    {
        long[] values = [.. Enumerable.Repeat(0L, 64), .. Enumerable.Range(0, 64).Select(i => i % 2 == 0 ? 3L : -4L)];
        var packed = new byte[PackedFixedPoint.MaxPackedBytes(values.Length)];

        // Count 128 (2 varint bytes); a zero block is its width byte; -4 zigzags to 7: 3 bits x 64 = 24 bytes.
        Assert.Equal(2 + 1 + 1 + 24, PackedFixedPoint.Pack(values, packed));
    }

    [Fact]
    public void Pack_ExtremeValues_RoundTrip()
    {
        long[] values = [long.MinValue, long.MaxValue, -1, 0, 1, long.MinValue + 1];
        var packed = new byte[PackedFixedPoint.MaxPackedBytes(values.Length)];
        int bytes = PackedFixedPoint.Pack(values, packed);
        var unpacked = new long[values.Length];

        Assert.Null(PackedFixedPoint.TryUnpack(packed.AsSpan(0, bytes), unpacked, add: false));
        Assert.Equal(values, unpacked);
    }

    [Fact]
    public void Pack_DestinationTooShort_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => PackedFixedPoint.Pack(new long[10], new byte[20]));

        Assert.Contains("destination", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryUnpack_OtherCount_SaysHowMany()
    {
        byte[] packed = Packed(new long[10]);

        Assert.Equal("it holds 10 elements where 11 were expected", PackedFixedPoint.TryUnpack(packed, new long[11], add: false));
    }

    [Fact]
    public void TryUnpack_Truncated_SaysWhere()
    {
        // Values 65 to 70 zigzag to 130 to 140: the last block is its width byte (8) and 6 bytes.
        byte[] packed = Packed([.. Enumerable.Range(1, 70).Select(i => (long)i)]);

        Assert.StartsWith("the block at element 64 needs", PackedFixedPoint.TryUnpack(packed.AsSpan(0, packed.Length - 1), new long[70], add: false));
        Assert.Equal("it ends before the block at element 64", PackedFixedPoint.TryUnpack(packed.AsSpan(0, packed.Length - 7), new long[70], add: false));
    }

    [Fact]
    public void TryUnpack_TrailingBytes_Refused()
    {
        byte[] packed = [.. Packed([1, 2, 3]), 0];

        Assert.Equal("1 bytes follow its last block", PackedFixedPoint.TryUnpack(packed, new long[3], add: false));
    }

    [Fact]
    public void TryUnpack_WidthAbove64_Refused()
    {
        byte[] packed = [1, 65, 0, 0, 0, 0, 0, 0, 0, 0, 0];

        Assert.Equal("the block at element 0 has width 65 (at most 64)", PackedFixedPoint.TryUnpack(packed, new long[1], add: false));
    }

    [Fact]
    public void TryUnpack_NoCount_Refused()
    {
        Assert.Equal("its element count is not a varint", PackedFixedPoint.TryUnpack([0x80], new long[1], add: false));
    }

    private static byte[] Packed(long[] values)
    {
        var packed = new byte[PackedFixedPoint.MaxPackedBytes(values.Length)];
        return packed[..PackedFixedPoint.Pack(values, packed)];
    }

    /// <summary>Values whose zigzag forms need at most <paramref name="width"/> bits, one of them exactly that many.</summary>
    private static long[] RandomValues(Random random, int length, int width)
    {
        var values = new long[length];
        for (int i = 0; i < length; i++)
        {
            ulong zigzag = width == 0 ? 0 : (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
            if (width < 64)
            {
                zigzag &= (1UL << width) - 1;
            }
            if (i == length / 2 && width > 0)
            {
                zigzag |= 1UL << (width - 1);
            }
            values[i] = (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        }
        return values;
    }
}
