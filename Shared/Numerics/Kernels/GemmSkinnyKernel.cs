using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// Kernel for C with at most <see cref="GemmSkinnyKernels.Nr"/> columns (the 10-output layer): every row of A
/// is used by one tile only, so packing A would cost as much as the multiply. Instead the kernel broadcasts A
/// straight from its strided source; only the small op(B) (k, 16) is packed.
/// </summary>
internal unsafe interface IGemmSkinnyKernel
{
    /// <summary>Rows of a tile.</summary>
    static abstract int Mr { get; }

    /// <summary>
    /// A rows read as a[r * rowStride + p * stepStride] for r &lt; <paramref name="rows"/> (tile rows past that
    /// repeat the last row, so nothing past the edge is read; callers then pass a scratch tile and copy the valid
    /// rows), packed B (k, 16) -> c (Mr, 16) with row stride
    /// <paramref name="ldc"/>: c + tile when <paramref name="add"/>, else tile; summed from zero over p in order.
    /// </summary>
    static abstract void Run(int k, float* a, nint rowStride, nint stepStride, int rows, float* b, float* c, nint ldc,
        bool add);
}

/// <summary>Shared constants of the skinny kernels.</summary>
internal static class GemmSkinnyKernels
{
    /// <summary>Columns of every skinny tile: C with up to this many columns takes the skinny path.</summary>
    public const int Nr = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float* Row(float* a, nint rowStride, int r, int rows) => a + (Math.Min(r, rows - 1) * rowStride);
}

/// <summary>8 x 16 skinny tile: one 512-bit accumulator per row.</summary>
internal unsafe struct GemmSkinnyKernel512 : IGemmSkinnyKernel
{
    public static int Mr => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int k, float* a, nint rowStride, nint stepStride, int rows, float* b, float* c, nint ldc,
        bool add)
    {
        float* a0 = a, a1 = GemmSkinnyKernels.Row(a, rowStride, 1, rows);
        float* a2 = GemmSkinnyKernels.Row(a, rowStride, 2, rows), a3 = GemmSkinnyKernels.Row(a, rowStride, 3, rows);
        float* a4 = GemmSkinnyKernels.Row(a, rowStride, 4, rows), a5 = GemmSkinnyKernels.Row(a, rowStride, 5, rows);
        float* a6 = GemmSkinnyKernels.Row(a, rowStride, 6, rows), a7 = GemmSkinnyKernels.Row(a, rowStride, 7, rows);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        nint at = 0;
        for (int p = 0; p < k; p++, at += stepStride, b += GemmSkinnyKernels.Nr)
        {
            Vector512<float> bv = Vector512.Load(b);
            c0 = GemmFma.MulAdd(Vector512.Create(a0[at]), bv, c0);
            c1 = GemmFma.MulAdd(Vector512.Create(a1[at]), bv, c1);
            c2 = GemmFma.MulAdd(Vector512.Create(a2[at]), bv, c2);
            c3 = GemmFma.MulAdd(Vector512.Create(a3[at]), bv, c3);
            c4 = GemmFma.MulAdd(Vector512.Create(a4[at]), bv, c4);
            c5 = GemmFma.MulAdd(Vector512.Create(a5[at]), bv, c5);
            c6 = GemmFma.MulAdd(Vector512.Create(a6[at]), bv, c6);
            c7 = GemmFma.MulAdd(Vector512.Create(a7[at]), bv, c7);
        }
        Store(c, c0, add);
        Store(c + ldc, c1, add);
        Store(c + (2 * ldc), c2, add);
        Store(c + (3 * ldc), c3, add);
        Store(c + (4 * ldc), c4, add);
        Store(c + (5 * ldc), c5, add);
        Store(c + (6 * ldc), c6, add);
        Store(c + (7 * ldc), c7, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector512<float> t, bool add) => (add ? Vector512.Load(row) + t : t).Store(row);
}

/// <summary>6 x 16 skinny tile: two 256-bit accumulators per row, 12 in all, within 16 registers.</summary>
internal unsafe struct GemmSkinnyKernel256 : IGemmSkinnyKernel
{
    public static int Mr => 6;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int k, float* a, nint rowStride, nint stepStride, int rows, float* b, float* c, nint ldc,
        bool add)
    {
        float* a0 = a, a1 = GemmSkinnyKernels.Row(a, rowStride, 1, rows), a2 = GemmSkinnyKernels.Row(a, rowStride, 2, rows);
        float* a3 = GemmSkinnyKernels.Row(a, rowStride, 3, rows), a4 = GemmSkinnyKernels.Row(a, rowStride, 4, rows);
        float* a5 = GemmSkinnyKernels.Row(a, rowStride, 5, rows);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint at = 0;
        for (int p = 0; p < k; p++, at += stepStride, b += GemmSkinnyKernels.Nr)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a0[at]);
            c00 = GemmFma.MulAdd(x, b0, c00);
            c01 = GemmFma.MulAdd(x, b1, c01);
            x = Vector256.Create(a1[at]);
            c10 = GemmFma.MulAdd(x, b0, c10);
            c11 = GemmFma.MulAdd(x, b1, c11);
            x = Vector256.Create(a2[at]);
            c20 = GemmFma.MulAdd(x, b0, c20);
            c21 = GemmFma.MulAdd(x, b1, c21);
            x = Vector256.Create(a3[at]);
            c30 = GemmFma.MulAdd(x, b0, c30);
            c31 = GemmFma.MulAdd(x, b1, c31);
            x = Vector256.Create(a4[at]);
            c40 = GemmFma.MulAdd(x, b0, c40);
            c41 = GemmFma.MulAdd(x, b1, c41);
            x = Vector256.Create(a5[at]);
            c50 = GemmFma.MulAdd(x, b0, c50);
            c51 = GemmFma.MulAdd(x, b1, c51);
        }
        Store(c, c00, c01, add);
        Store(c + ldc, c10, c11, add);
        Store(c + (2 * ldc), c20, c21, add);
        Store(c + (3 * ldc), c30, c31, add);
        Store(c + (4 * ldc), c40, c41, add);
        Store(c + (5 * ldc), c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> t0, Vector256<float> t1, bool add)
    {
        (add ? Vector256.Load(row) + t0 : t0).Store(row);
        (add ? Vector256.Load(row + 8) + t1 : t1).Store(row + 8);
    }
}
