using System.Buffers.Binary;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Training.Collective;

/// <summary>
/// The reduce-scatter's payload (<see cref="PieceEncoding.FixedPointBlocks"/>): fixed-point sums in blocks of
/// <see cref="BlockLength"/> elements, each block in as few bytes per element as its widest value needs, so a piece
/// crosses the ring in fewer bytes and every value arrives exactly. Layout: one width byte per block, 0 to 8 (0: every
/// value is zero and nothing follows for the block), then each block's elements at its width: the low bytes of each
/// value's two's complement, little-endian, which the receiver sign-extends.
/// </summary>
/// <remarks>
/// A step's gradient sums at 2^32 units per 1.0 mostly lie between 2^23 and 2^31 in magnitude, about a fifth are zero
/// (pixels that are always black) and a few percent need 5 bytes; blocks of 256 then take about 3.9 bytes per element
/// instead of 8 at batch 128 and 4.5 at batch 512, where the sums over more samples are larger (docs/BENCHMARKS.md).
/// Widths 4 and 8, the common ones, run on vectors; every vector width gives the same bytes as the scalar definition.
/// </remarks>
public static class FixedPointBlocks
{
    /// <summary>Elements per block (the last block of a piece may be shorter).</summary>
    public const int BlockLength = 256;

    /// <summary>Number of blocks (and width bytes) of a piece of <paramref name="count"/> elements.</summary>
    public static int BlockCount(int count) => (count + BlockLength - 1) / BlockLength;

    /// <summary>Most bytes <see cref="Pack"/> writes for <paramref name="count"/> elements: every block at 8 bytes.</summary>
    public static int MaxPackedBytes(int count) => BlockCount(count) + count * sizeof(long);

    /// <summary>Writes <paramref name="values"/> packed into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="MaxPackedBytes"/>.</exception>
    public static int Pack(ReadOnlySpan<long> values, Span<byte> destination) => Pack(values, destination, FixedPointWidths.Best);

    /// <summary>As <see cref="Pack(ReadOnlySpan{long}, Span{byte})"/> on vectors of <paramref name="width"/> (tests pin each one).</summary>
    internal static int Pack(ReadOnlySpan<long> values, Span<byte> destination, FixedPointWidth width)
    {
        if (destination.Length < MaxPackedBytes(values.Length))
        {
            throw new ArgumentException($"{values.Length} values need up to {MaxPackedBytes(values.Length)} bytes; got {destination.Length}.", nameof(destination));
        }

        int blocks = BlockCount(values.Length);
        int written = blocks;
        for (int block = 0; block < blocks; block++)
        {
            ReadOnlySpan<long> source = Block(values, block);
            int bytesPerElement = WidthOf(source, width);
            destination[block] = (byte)bytesPerElement;
            switch (bytesPerElement)
            {
                case 0:
                    break;
                case sizeof(long):
                    MemoryMarshal.AsBytes(source).CopyTo(destination[written..]);
                    break;
                case sizeof(int):
                    Narrow(source, MemoryMarshal.Cast<byte, int>(destination.Slice(written, source.Length * sizeof(int))), width);
                    break;
                default:
                    // Each value's 8 bytes are written and the next one overwrites all but its low bytes: the destination
                    // holds 8 bytes per element, so the last write stays inside it.
                    ref byte target = ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), written);
                    for (int i = 0; i < source.Length; i++)
                    {
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, i * bytesPerElement), source[i]);
                    }

                    break;
            }

            written += source.Length * bytesPerElement;
        }

        return written;
    }

    /// <summary>
    /// Adds the values <paramref name="packed"/> holds to <paramref name="sums"/>, element by element; false, changing
    /// nothing, when the bytes are not a packing of exactly <paramref name="sums"/>' length (a width above 8, or a length
    /// that does not match the widths).
    /// </summary>
    public static bool TryAdd(ReadOnlySpan<byte> packed, Span<long> sums) => TryAdd(packed, sums, FixedPointWidths.Best);

    /// <summary>As <see cref="TryAdd(ReadOnlySpan{byte}, Span{long})"/> on vectors of <paramref name="width"/>.</summary>
    internal static bool TryAdd(ReadOnlySpan<byte> packed, Span<long> sums, FixedPointWidth width)
    {
        int blocks = BlockCount(sums.Length);
        if (packed.Length < blocks)
        {
            return false;
        }

        // Every width is checked before any sum changes: a malformed piece fails the step and leaves the vector as it was.
        long expected = blocks;
        for (int block = 0; block < blocks; block++)
        {
            byte bytesPerElement = packed[block];
            if (bytesPerElement > sizeof(long))
            {
                return false;
            }

            expected += (long)Block(sums, block).Length * bytesPerElement;
        }

        if (packed.Length != expected)
        {
            return false;
        }

        int read = blocks;
        for (int block = 0; block < blocks; block++)
        {
            Span<long> target = Block(sums, block);
            int bytesPerElement = packed[block];
            ReadOnlySpan<byte> source = packed.Slice(read, target.Length * bytesPerElement);
            switch (bytesPerElement)
            {
                case 0:
                    break;
                case sizeof(long):
                    TensorPrimitives.Add(target, MemoryMarshal.Cast<byte, long>(source), target);
                    break;
                case sizeof(int):
                    AddWidened(MemoryMarshal.Cast<byte, int>(source), target, width);
                    break;
                default:
                    AddSignExtended(source, bytesPerElement, target);
                    break;
            }

            read += source.Length;
        }

        return true;
    }

    /// <summary>sums += each value of <paramref name="bytesPerElement"/> bytes in <paramref name="source"/>, sign-extended.</summary>
    private static void AddSignExtended(ReadOnlySpan<byte> source, int bytesPerElement, Span<long> sums)
    {
        int shift = 64 - (8 * bytesPerElement);
        ref byte start = ref MemoryMarshal.GetReference(source);
        // Whole 8-byte reads while they stay inside the payload, then the last values byte by byte.
        int whole = sums.Length;
        while (whole > 0 && ((whole - 1) * bytesPerElement) + sizeof(long) > source.Length)
        {
            whole--;
        }

        for (int i = 0; i < whole; i++)
        {
            sums[i] += (Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref start, i * bytesPerElement)) << shift) >> shift;
        }

        Span<byte> last = stackalloc byte[sizeof(long)];
        for (int i = whole; i < sums.Length; i++)
        {
            last.Clear();
            source.Slice(i * bytesPerElement, bytesPerElement).CopyTo(last);
            sums[i] += (BinaryPrimitives.ReadInt64LittleEndian(last) << shift) >> shift;
        }
    }

    private static ReadOnlySpan<long> Block(ReadOnlySpan<long> values, int block)
    {
        int start = block * BlockLength;
        return values.Slice(start, Math.Min(BlockLength, values.Length - start));
    }

    private static Span<long> Block(Span<long> values, int block)
    {
        int start = block * BlockLength;
        return values.Slice(start, Math.Min(BlockLength, values.Length - start));
    }

    /// <summary>0 when every value is zero, else the fewest bytes whose two's complement holds every value.</summary>
    private static int WidthOf(ReadOnlySpan<long> values, FixedPointWidth width)
    {
        // any: the OR of the values (zero only when all are); magnitude: the OR of v ^ (v >> 63), whose highest bit is
        // the highest of any value's magnitude, so the values need that many bits and a sign bit.
        ref long source = ref MemoryMarshal.GetReference(values);
        int length = values.Length;
        int i = 0;
        long any = 0;
        long magnitude = 0;
        if (width == FixedPointWidth.Vector512 && Vector512.IsHardwareAccelerated)
        {
            var anyV = Vector512<long>.Zero;
            var magnitudeV = Vector512<long>.Zero;
            for (; i <= length - Vector512<long>.Count; i += Vector512<long>.Count)
            {
                var value = Vector512.LoadUnsafe(ref source, (nuint)i);
                anyV |= value;
                magnitudeV |= value ^ Vector512.ShiftRightArithmetic(value, 63);
            }

            for (int lane = 0; lane < Vector512<long>.Count; lane++)
            {
                any |= anyV[lane];
                magnitude |= magnitudeV[lane];
            }
        }

        if (width >= FixedPointWidth.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var anyV = Vector256<long>.Zero;
            var magnitudeV = Vector256<long>.Zero;
            for (; i <= length - Vector256<long>.Count; i += Vector256<long>.Count)
            {
                var value = Vector256.LoadUnsafe(ref source, (nuint)i);
                anyV |= value;
                magnitudeV |= value ^ Vector256.ShiftRightArithmetic(value, 63);
            }

            for (int lane = 0; lane < Vector256<long>.Count; lane++)
            {
                any |= anyV[lane];
                magnitude |= magnitudeV[lane];
            }
        }

        for (; i < length; i++)
        {
            long value = Unsafe.Add(ref source, i);
            any |= value;
            magnitude |= value ^ (value >> 63);
        }

        if (any == 0)
        {
            return 0;
        }

        int bits = 64 - BitOperations.LeadingZeroCount((ulong)magnitude) + 1;
        return (bits + 7) / 8;
    }

    /// <summary>destination = (int)values; every value fits an int32 (see <see cref="WidthOf"/>).</summary>
    private static void Narrow(ReadOnlySpan<long> values, Span<int> destination, FixedPointWidth width)
    {
        ref long source = ref MemoryMarshal.GetReference(values);
        ref int target = ref MemoryMarshal.GetReference(destination);
        int length = values.Length;
        int i = 0;
        if (width == FixedPointWidth.Vector512 && Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - Vector512<int>.Count; i += Vector512<int>.Count)
            {
                Vector512.Narrow(Vector512.LoadUnsafe(ref source, (nuint)i), Vector512.LoadUnsafe(ref source, (nuint)(i + Vector512<long>.Count)))
                    .StoreUnsafe(ref target, (nuint)i);
            }
        }

        if (width >= FixedPointWidth.Vector256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                Vector256.Narrow(Vector256.LoadUnsafe(ref source, (nuint)i), Vector256.LoadUnsafe(ref source, (nuint)(i + Vector256<long>.Count)))
                    .StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) = (int)Unsafe.Add(ref source, i);
        }
    }

    /// <summary>sums += values, each int32 sign-extended to int64.</summary>
    private static void AddWidened(ReadOnlySpan<int> values, Span<long> sums, FixedPointWidth width)
    {
        ref int source = ref MemoryMarshal.GetReference(values);
        ref long target = ref MemoryMarshal.GetReference(sums);
        int length = values.Length;
        int i = 0;
        if (width == FixedPointWidth.Vector512 && Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - Vector512<int>.Count; i += Vector512<int>.Count)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref source, (nuint)i));
                ref long sum = ref Unsafe.Add(ref target, i);
                (Vector512.LoadUnsafe(ref sum) + lower).StoreUnsafe(ref sum);
                (Vector512.LoadUnsafe(ref sum, (nuint)Vector512<long>.Count) + upper).StoreUnsafe(ref sum, (nuint)Vector512<long>.Count);
            }
        }

        if (width >= FixedPointWidth.Vector256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<int>.Count; i += Vector256<int>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref source, (nuint)i));
                ref long sum = ref Unsafe.Add(ref target, i);
                (Vector256.LoadUnsafe(ref sum) + lower).StoreUnsafe(ref sum);
                (Vector256.LoadUnsafe(ref sum, (nuint)Vector256<long>.Count) + upper).StoreUnsafe(ref sum, (nuint)Vector256<long>.Count);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref target, i) += Unsafe.Add(ref source, i);
        }
    }
}
