using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// Copies a block of A or B into micro-panels: panel q holds the block's rows q*width .. q*width+width-1 (for
/// A; columns for B) interleaved along k, dst[p * width + r], so the micro-kernel reads both operands with unit
/// stride. Lanes past the matrix edge are zeroed. Reads the strided source directly; nothing is transposed
/// beforehand.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs <paramref name="count"/> lanes (rows of op(A) or columns of op(B)) over <paramref name="kc"/> steps
    /// of k into ceil(count / width) panels of (kc, width). Lane r at step p is read from
    /// src[r * laneStride + p * stepStride]; exactly one of the strides is 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* dst, float* src, nint laneStride, nint stepStride, int count, int kc, int width)
    {
        for (int first = 0; first < count; first += width)
        {
            int lanes = Math.Min(width, count - first);
            float* panelSrc = src + (first * laneStride);
            if (laneStride == 1)
            {
                PackContiguousLanes(dst, panelSrc, stepStride, lanes, kc, width);
            }
            else
            {
                PackStridedLanes(dst, panelSrc, laneStride, lanes, kc, width);
            }
            dst += kc * width;
        }
    }

    // Lanes adjacent in memory (A stored transposed, B stored plain): each step is one short contiguous copy;
    // a partial last group is a masked load, which neither reads past the edge nor leaves garbage lanes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackContiguousLanes(float* dst, float* src, nint stepStride, int lanes, int kc, int width)
    {
        if (Avx.IsSupported && width % 8 == 0)
        {
            int full = lanes - (lanes % 8);
            Vector256<float> mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(lanes - full)).AsSingle();
            for (int p = 0; p < kc; p++, src += stepStride, dst += width)
            {
                int r = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; r + 16 <= full; r += 16)
                    {
                        Vector512.Load(src + r).Store(dst + r);
                    }
                }
                for (; r < full; r += 8)
                {
                    Avx.Store(dst + r, Avx.LoadVector256(src + r));
                }
                for (; r < width; r += 8)
                {
                    Avx.Store(dst + r, r < lanes ? Avx.MaskLoad(src + r, mask) : Vector256<float>.Zero);
                }
            }
            return;
        }
        for (int p = 0; p < kc; p++, src += stepStride, dst += width)
        {
            int r = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                for (; r + 4 <= lanes; r += 4)
                {
                    Vector128.Load(src + r).Store(dst + r);
                }
            }
            for (; r < lanes; r++)
            {
                dst[r] = src[r];
            }
            for (; r < width; r++)
            {
                dst[r] = 0f;
            }
        }
    }

    // Lanes are rows with k contiguous (A stored plain, B stored transposed): transpose 8 x 8 or 4 x 4 blocks
    // in registers, so each source row is still read with unit stride. A group of lanes past the edge loads
    // zeros instead of rows, which pads the panel in the same stores.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackStridedLanes(float* dst, float* src, nint laneStride, int lanes, int kc, int width)
    {
        int group = Avx.IsSupported && width % 8 == 0 ? 8 : Sse.IsSupported && width % 4 == 0 ? 4 : 1;
        int vectorSteps = group == 1 ? 0 : kc - (kc % group);
        for (int g = 0; g < width && vectorSteps > 0; g += group)
        {
            int rows = Math.Clamp(lanes - g, 0, group);
            float* groupSrc = src + (g * laneStride);
            for (int p = 0; p < vectorSteps; p += group)
            {
                if (group == 8)
                {
                    Transpose8x8(dst + (p * width) + g, width, groupSrc + p, laneStride, rows);
                }
                else
                {
                    Transpose4x4(dst + (p * width) + g, width, groupSrc + p, laneStride, rows);
                }
            }
        }
        for (int p = vectorSteps; p < kc; p++)
        {
            for (int r = 0; r < width; r++)
            {
                dst[(p * width) + r] = r < lanes ? src[(r * laneStride) + p] : 0f;
            }
        }
    }

    // dst[q * dstStride + i] = src[i * srcStride + q] for i, q < 8; rows at or past `rows` read as zero.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* dst, nint dstStride, float* src, nint srcStride, int rows)
    {
        Vector256<float> r0 = rows > 0 ? Avx.LoadVector256(src) : Vector256<float>.Zero;
        Vector256<float> r1 = rows > 1 ? Avx.LoadVector256(src + srcStride) : Vector256<float>.Zero;
        Vector256<float> r2 = rows > 2 ? Avx.LoadVector256(src + (2 * srcStride)) : Vector256<float>.Zero;
        Vector256<float> r3 = rows > 3 ? Avx.LoadVector256(src + (3 * srcStride)) : Vector256<float>.Zero;
        Vector256<float> r4 = rows > 4 ? Avx.LoadVector256(src + (4 * srcStride)) : Vector256<float>.Zero;
        Vector256<float> r5 = rows > 5 ? Avx.LoadVector256(src + (5 * srcStride)) : Vector256<float>.Zero;
        Vector256<float> r6 = rows > 6 ? Avx.LoadVector256(src + (6 * srcStride)) : Vector256<float>.Zero;
        Vector256<float> r7 = rows > 7 ? Avx.LoadVector256(src + (7 * srcStride)) : Vector256<float>.Zero;
        // Interleave pairs of rows, then pairs of pairs, within each 128-bit half ...
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        // ... then join the halves: column q of the block comes out as one vector.
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + (2 * dstStride), Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + (3 * dstStride), Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + (4 * dstStride), Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + (5 * dstStride), Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + (6 * dstStride), Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + (7 * dstStride), Avx.Permute2x128(s3, s7, 0x31));
    }

    // dst[q * dstStride + i] = src[i * srcStride + q] for i, q < 4; rows at or past `rows` read as zero.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* dst, nint dstStride, float* src, nint srcStride, int rows)
    {
        Vector128<float> r0 = rows > 0 ? Sse.LoadVector128(src) : Vector128<float>.Zero;
        Vector128<float> r1 = rows > 1 ? Sse.LoadVector128(src + srcStride) : Vector128<float>.Zero;
        Vector128<float> r2 = rows > 2 ? Sse.LoadVector128(src + (2 * srcStride)) : Vector128<float>.Zero;
        Vector128<float> r3 = rows > 3 ? Sse.LoadVector128(src + (3 * srcStride)) : Vector128<float>.Zero;
        Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1);
        Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(dst + dstStride, Sse.MoveHighToLow(t2, t0));
        Sse.Store(dst + (2 * dstStride), Sse.MoveLowToHigh(t1, t3));
        Sse.Store(dst + (3 * dstStride), Sse.MoveHighToLow(t3, t1));
    }
}
