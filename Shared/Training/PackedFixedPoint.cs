using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Training;

/// <summary>
/// A lossless wire form for 64-bit fixed-point sums (<see cref="FixedPointAccumulator"/>): gradient sums need 20 to
/// 35 of their 64 bits and a fifth of them are zero, so packing each block of values at the width its largest value
/// needs sends about 3.3 bytes per value instead of 8, at about a nanosecond per value each way.
/// </summary>
/// <remarks>
/// The format (collective.proto and cluster.proto point here): a varint (protobuf base-128) element count, then the
/// elements in blocks of <see cref="BlockLength"/> (the last one shorter when the count is not a multiple). A block is
/// one byte w in [0, 64] followed by its elements zigzag-encoded ((v &lt;&lt; 1) ^ (v &gt;&gt; 63), so small negative
/// values stay small) in w bits each, least significant bit first, element i of the block in bits [i w, (i + 1) w) of
/// the block's bytes; the last byte is padded with zero bits. w is the bit length of the block's largest zigzag value,
/// so a block of zeros is the one byte 0.
/// </remarks>
public static class PackedFixedPoint
{
    /// <summary>Elements per block, each block with its own width.</summary>
    public const int BlockLength = 64;

    private const int MaxVarintBytes = 10;

    /// <summary>The most bytes <paramref name="count"/> elements can pack into (every block at width 64).</summary>
    public static int MaxPackedBytes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return MaxVarintBytes + count * sizeof(long) + (count + BlockLength - 1) / BlockLength;
    }

    /// <summary>Packs <paramref name="values"/> into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="MaxPackedBytes"/> of the values' count long.</param>
    /// <returns>The number of bytes written.</returns>
    public static int Pack(ReadOnlySpan<long> values, Span<byte> destination)
    {
        if (destination.Length < MaxPackedBytes(values.Length))
        {
            throw new ArgumentException($"Invalid destination: {destination.Length} bytes (packing {values.Length} values needs up to {MaxPackedBytes(values.Length)})", nameof(destination));
        }
        int written = WriteVarint(destination, (ulong)values.Length);
        for (int start = 0; start < values.Length; start += BlockLength)
        {
            var block = values.Slice(start, Math.Min(BlockLength, values.Length - start));
            int width = 64 - BitOperations.LeadingZeroCount(ZigZagOr(block));
            destination[written++] = (byte)width;
            written += PackBlock(block, width, destination[written..]);
        }
        return written;
    }

    /// <summary>The element count at the start of <paramref name="packed"/>; false when it does not start with a varint.</summary>
    public static bool TryReadCount(ReadOnlySpan<byte> packed, out ulong count) => TryReadVarint(packed, out count, out _);

    /// <summary>
    /// Unpacks <paramref name="packed"/> into <paramref name="destination"/>, replacing its values or, with
    /// <paramref name="add"/>, adding to them (the receiving end of a reduce-scatter).
    /// </summary>
    /// <returns>Null when <paramref name="packed"/> held exactly as many values as <paramref name="destination"/>, else what is wrong with it.</returns>
    public static string? TryUnpack(ReadOnlySpan<byte> packed, Span<long> destination, bool add)
    {
        if (!TryReadVarint(packed, out ulong count, out int read))
        {
            return "its element count is not a varint";
        }
        if (count != (ulong)destination.Length)
        {
            return $"it holds {count} elements where {destination.Length} were expected";
        }
        for (int start = 0; start < destination.Length; start += BlockLength)
        {
            if (read >= packed.Length)
            {
                return $"it ends before the block at element {start}";
            }
            int width = packed[read++];
            if (width > 64)
            {
                return $"the block at element {start} has width {width} (at most 64)";
            }
            var block = destination.Slice(start, Math.Min(BlockLength, destination.Length - start));
            int bytes = (block.Length * width + 7) / 8;
            if (packed.Length - read < bytes)
            {
                return $"the block at element {start} needs {bytes} bytes, {packed.Length - read} are left";
            }
            UnpackBlock(packed.Slice(read, bytes), width, block, add);
            read += bytes;
        }
        return read == packed.Length ? null : $"{packed.Length - read} bytes follow its last block";
    }

    /// <summary>The bitwise OR of the block's zigzag values: its highest set bit is the block's width.</summary>
    private static ulong ZigZagOr(ReadOnlySpan<long> block)
    {
        ulong or = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var orV = Vector256<ulong>.Zero;
            for (; i <= block.Length - Vector256<long>.Count; i += Vector256<long>.Count)
            {
                var v = Vector256.Create(block.Slice(i, Vector256<long>.Count));
                orV |= (v << 1 ^ Vector256.ShiftRightArithmetic(v, 63)).AsUInt64();
            }
            for (int k = 0; k < Vector256<ulong>.Count; k++)
            {
                or |= orV[k];
            }
        }
        for (; i < block.Length; i++)
        {
            or |= ZigZag(block[i]);
        }
        return or;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    /// <summary>Writes the block's values in <paramref name="width"/> bits each; returns the bytes written.</summary>
    private static int PackBlock(ReadOnlySpan<long> block, int width, Span<byte> destination)
    {
        int bytes = (block.Length * width + 7) / 8;
        if (width == 0)
        {
            return 0;
        }
        ulong pending = 0;
        int pendingBits = 0;
        int at = 0;
        foreach (long value in block)
        {
            ulong z = ZigZag(value);
            pending |= z << pendingBits;
            if (pendingBits + width >= 64)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], pending);
                at += sizeof(ulong);
                int taken = 64 - pendingBits;
                pending = taken == 64 ? 0 : z >> taken;
                pendingBits += width - 64;
            }
            else
            {
                pendingBits += width;
            }
        }
        // A full block ends on a whole word (64 values of width bits are width words); a shorter one may not.
        for (; at < bytes; at++, pending >>= 8)
        {
            destination[at] = (byte)pending;
        }
        return bytes;
    }

    private static void UnpackBlock(ReadOnlySpan<byte> source, int width, Span<long> block, bool add)
    {
        if (width == 0)
        {
            if (!add)
            {
                block.Clear();
            }
            return;
        }
        ulong mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        ulong available = 0;
        int availableBits = 0;
        int at = 0;
        for (int i = 0; i < block.Length; i++)
        {
            ulong z;
            if (availableBits >= width)
            {
                z = available & mask;
                available = width == 64 ? 0 : available >> width;
                availableBits -= width;
            }
            else
            {
                ulong next = ReadWord(source, ref at);
                // The low availableBits come from the word before, the rest from the next one.
                z = (available | (next << availableBits)) & mask;
                int taken = width - availableBits;
                available = taken == 64 ? 0 : next >> taken;
                availableBits = 64 - taken;
            }
            long value = UnZigZag(z);
            block[i] = add ? block[i] + value : value;
        }
    }

    /// <summary>The next 8 bytes, or the bytes left zero-extended at the block's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadWord(ReadOnlySpan<byte> source, ref int at)
    {
        ulong word = 0;
        if (source.Length - at >= sizeof(ulong))
        {
            word = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
        }
        else
        {
            for (int k = 0; at + k < source.Length; k++)
            {
                word |= (ulong)source[at + k] << (8 * k);
            }
        }
        at += sizeof(ulong);
        return word;
    }

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        int at = 0;
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[at++] = (byte)value;
        return at;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> source, out ulong value, out int read)
    {
        value = 0;
        for (read = 0; read < Math.Min(source.Length, MaxVarintBytes); read++)
        {
            byte b = source[read];
            value |= (ulong)(b & 0x7F) << (7 * read);
            if (b < 0x80)
            {
                read++;
                return true;
            }
        }
        return false;
    }
}
