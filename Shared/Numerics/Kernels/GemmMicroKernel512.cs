using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// 8 x 32 tile with 512-bit FMA: 16 accumulators plus two B vectors and a broadcast fit the 32 vector
/// registers, and 16 independent FMA chains cover the FMA latency on two pipes.
/// </summary>
internal unsafe struct GemmMicroKernel512 : IGemmMicroKernel
{
    public static int Mr => 8;

    public static int Nr => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c00 = GemmFma.MulAdd(a0, b0, c00);
            c01 = GemmFma.MulAdd(a0, b1, c01);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c10 = GemmFma.MulAdd(a1, b0, c10);
            c11 = GemmFma.MulAdd(a1, b1, c11);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c20 = GemmFma.MulAdd(a2, b0, c20);
            c21 = GemmFma.MulAdd(a2, b1, c21);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c30 = GemmFma.MulAdd(a3, b0, c30);
            c31 = GemmFma.MulAdd(a3, b1, c31);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c40 = GemmFma.MulAdd(a4, b0, c40);
            c41 = GemmFma.MulAdd(a4, b1, c41);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c50 = GemmFma.MulAdd(a5, b0, c50);
            c51 = GemmFma.MulAdd(a5, b1, c51);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c60 = GemmFma.MulAdd(a6, b0, c60);
            c61 = GemmFma.MulAdd(a6, b1, c61);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c70 = GemmFma.MulAdd(a7, b0, c70);
            c71 = GemmFma.MulAdd(a7, b1, c71);
            a += 8;
            b += 32;
        }
        Store(c, c00, c01, add);
        Store(c + ldc, c10, c11, add);
        Store(c + (2 * ldc), c20, c21, add);
        Store(c + (3 * ldc), c30, c31, add);
        Store(c + (4 * ldc), c40, c41, add);
        Store(c + (5 * ldc), c50, c51, add);
        Store(c + (6 * ldc), c60, c61, add);
        Store(c + (7 * ldc), c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunHalf(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c00 = GemmFma.MulAdd(a0, b0, c00);
            c01 = GemmFma.MulAdd(a0, b1, c01);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c10 = GemmFma.MulAdd(a1, b0, c10);
            c11 = GemmFma.MulAdd(a1, b1, c11);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c20 = GemmFma.MulAdd(a2, b0, c20);
            c21 = GemmFma.MulAdd(a2, b1, c21);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c30 = GemmFma.MulAdd(a3, b0, c30);
            c31 = GemmFma.MulAdd(a3, b1, c31);
            a += 8;
            b += 32;
        }
        Store(c, c00, c01, add);
        Store(c + ldc, c10, c11, add);
        Store(c + (2 * ldc), c20, c21, add);
        Store(c + (3 * ldc), c30, c31, add);
    }

    // One tile row: c = c + t when adding into C, else c = t.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector512<float> t0, Vector512<float> t1, bool add)
    {
        if (add)
        {
            t0 = Vector512.Load(row) + t0;
            t1 = Vector512.Load(row + 16) + t1;
        }
        t0.Store(row);
        t1.Store(row + 16);
    }
}
