using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// 4 x 8 tile with 128-bit vectors, for machines without 256-bit ones: 8 accumulators leave room in 16 registers.
/// </summary>
internal unsafe struct GemmMicroKernel128 : IGemmMicroKernel
{
    public static int Mr => 4;

    public static int Nr => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector128<float> c00 = default, c01 = default;
        Vector128<float> c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> a0 = Vector128.Create(a[0]);
            c00 = GemmFma.MulAdd(a0, b0, c00);
            c01 = GemmFma.MulAdd(a0, b1, c01);
            Vector128<float> a1 = Vector128.Create(a[1]);
            c10 = GemmFma.MulAdd(a1, b0, c10);
            c11 = GemmFma.MulAdd(a1, b1, c11);
            Vector128<float> a2 = Vector128.Create(a[2]);
            c20 = GemmFma.MulAdd(a2, b0, c20);
            c21 = GemmFma.MulAdd(a2, b1, c21);
            Vector128<float> a3 = Vector128.Create(a[3]);
            c30 = GemmFma.MulAdd(a3, b0, c30);
            c31 = GemmFma.MulAdd(a3, b1, c31);
            a += 4;
            b += 8;
        }
        Store(c, c00, c01, add);
        Store(c + ldc, c10, c11, add);
        Store(c + (2 * ldc), c20, c21, add);
        Store(c + (3 * ldc), c30, c31, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunHalf(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector128<float> c00 = default, c01 = default;
        Vector128<float> c10 = default, c11 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> a0 = Vector128.Create(a[0]);
            c00 = GemmFma.MulAdd(a0, b0, c00);
            c01 = GemmFma.MulAdd(a0, b1, c01);
            Vector128<float> a1 = Vector128.Create(a[1]);
            c10 = GemmFma.MulAdd(a1, b0, c10);
            c11 = GemmFma.MulAdd(a1, b1, c11);
            a += 4;
            b += 8;
        }
        Store(c, c00, c01, add);
        Store(c + ldc, c10, c11, add);
    }

    // One tile row: c = c + t when adding into C, else c = t.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector128<float> t0, Vector128<float> t1, bool add)
    {
        if (add)
        {
            t0 = Vector128.Load(row) + t0;
            t1 = Vector128.Load(row + 4) + t1;
        }
        t0.Store(row);
        t1.Store(row + 4);
    }
}
