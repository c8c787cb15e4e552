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

    // Lanes adjacent in memory (A stored transposed, B stored plain): each step is one short contiguous copy.
    private static void PackContiguousLanes(float* dst, float* src, nint stepStride, int lanes, int kc, int width)
    {
        for (int p = 0; p < kc; p++, src += stepStride, dst += width)
        {
            int r = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; r + 8 <= lanes; r += 8)
                {
                    Vector256.Load(src + r).Store(dst + r);
                }
            }
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
    // in registers, so each source row is still read with unit stride.
    private static void PackStridedLanes(float* dst, float* src, nint laneStride, int lanes, int kc, int width)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r + 8 <= lanes; r += 8)
            {
                int p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose8x8(dst + (p * width) + r, width, src + (r * laneStride) + p, laneStride);
                }
                CopyStridedScalar(dst, src, laneStride, r, r + 8, p, kc, width);
            }
        }
        if (Sse.IsSupported)
        {
            for (; r + 4 <= lanes; r += 4)
            {
                int p = 0;
                for (; p + 4 <= kc; p += 4)
                {
                    Transpose4x4(dst + (p * width) + r, width, src + (r * laneStride) + p, laneStride);
                }
                CopyStridedScalar(dst, src, laneStride, r, r + 4, p, kc, width);
            }
        }
        CopyStridedScalar(dst, src, laneStride, r, lanes, 0, kc, width);
        for (int p = 0; p < kc; p++)
        {
            for (int z = lanes; z < width; z++)
            {
                dst[(p * width) + z] = 0f;
            }
        }
    }

    private static void CopyStridedScalar(float* dst, float* src, nint laneStride, int r0, int r1, int p0, int kc,
        int width)
    {
        for (int r = r0; r < r1; r++)
        {
            for (int p = p0; p < kc; p++)
            {
                dst[(p * width) + r] = src[(r * laneStride) + p];
            }
        }
    }

    // dst[q * dstStride + i] = src[i * srcStride + q] for i, q < 8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* dst, nint dstStride, float* src, nint srcStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src);
        Vector256<float> r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + (2 * srcStride));
        Vector256<float> r3 = Avx.LoadVector256(src + (3 * srcStride));
        Vector256<float> r4 = Avx.LoadVector256(src + (4 * srcStride));
        Vector256<float> r5 = Avx.LoadVector256(src + (5 * srcStride));
        Vector256<float> r6 = Avx.LoadVector256(src + (6 * srcStride));
        Vector256<float> r7 = Avx.LoadVector256(src + (7 * srcStride));
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

    // dst[q * dstStride + i] = src[i * srcStride + q] for i, q < 4.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* dst, nint dstStride, float* src, nint srcStride)
    {
        Vector128<float> r0 = Sse.LoadVector128(src);
        Vector128<float> r1 = Sse.LoadVector128(src + srcStride);
        Vector128<float> r2 = Sse.LoadVector128(src + (2 * srcStride));
        Vector128<float> r3 = Sse.LoadVector128(src + (3 * srcStride));
        Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1);
        Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t2));
        Sse.Store(dst + dstStride, Sse.MoveHighToLow(t2, t0));
        Sse.Store(dst + (2 * dstStride), Sse.MoveLowToHigh(t1, t3));
        Sse.Store(dst + (3 * dstStride), Sse.MoveHighToLow(t3, t1));
    }
}
