using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// 4 x 24 tile with 256-bit FMA: 12 accumulators plus three B vectors and a broadcast fit the 16 vector
/// registers; 4-row A panels pack with 4 x 4 transposes and 24-column B panels with 8 x 8 ones.
/// </summary>
internal unsafe struct GemmMicroKernel256 : IGemmMicroKernel
{
    public static int Mr => 4;

    public static int Nr => 24;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> b2 = Vector256.Load(b + 16);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c00 = GemmFma.MulAdd(a0, b0, c00);
            c01 = GemmFma.MulAdd(a0, b1, c01);
            c02 = GemmFma.MulAdd(a0, b2, c02);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c10 = GemmFma.MulAdd(a1, b0, c10);
            c11 = GemmFma.MulAdd(a1, b1, c11);
            c12 = GemmFma.MulAdd(a1, b2, c12);
            Vector256<float> a2 = Vector256.Create(a[2]);
            c20 = GemmFma.MulAdd(a2, b0, c20);
            c21 = GemmFma.MulAdd(a2, b1, c21);
            c22 = GemmFma.MulAdd(a2, b2, c22);
            Vector256<float> a3 = Vector256.Create(a[3]);
            c30 = GemmFma.MulAdd(a3, b0, c30);
            c31 = GemmFma.MulAdd(a3, b1, c31);
            c32 = GemmFma.MulAdd(a3, b2, c32);
            a += 4;
            b += 24;
        }
        Store(c, c00, c01, c02, add);
        Store(c + ldc, c10, c11, c12, add);
        Store(c + (2 * ldc), c20, c21, c22, add);
        Store(c + (3 * ldc), c30, c31, c32, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunHalf(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c02 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> b2 = Vector256.Load(b + 16);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c00 = GemmFma.MulAdd(a0, b0, c00);
            c01 = GemmFma.MulAdd(a0, b1, c01);
            c02 = GemmFma.MulAdd(a0, b2, c02);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c10 = GemmFma.MulAdd(a1, b0, c10);
            c11 = GemmFma.MulAdd(a1, b1, c11);
            c12 = GemmFma.MulAdd(a1, b2, c12);
            a += 4;
            b += 24;
        }
        Store(c, c00, c01, c02, add);
        Store(c + ldc, c10, c11, c12, add);
    }

    // One tile row: c = c + t when adding into C, else c = t.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, bool add)
    {
        if (add)
        {
            t0 = Vector256.Load(row) + t0;
            t1 = Vector256.Load(row + 8) + t1;
            t2 = Vector256.Load(row + 16) + t2;
        }
        t0.Store(row);
        t1.Store(row + 8);
        t2.Store(row + 16);
    }
}
