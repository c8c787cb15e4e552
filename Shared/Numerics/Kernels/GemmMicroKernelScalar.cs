using System.Runtime.CompilerServices;
namespace DistributedTrainer.Numerics.Kernels;

/// <summary>4 x 4 tile in scalar code: the fallback for machines without accelerated vectors.</summary>
internal unsafe struct GemmMicroKernelScalar : IGemmMicroKernel
{
    public static int Mr => 4;

    public static int Nr => 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add) => RunRows(4, kc, a, b, c, ldc, add);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunHalf(int kc, float* a, float* b, float* c, nint ldc, bool add) =>
        RunRows(2, kc, a, b, c, ldc, add);

    private static void RunRows(int rows, int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        float* tile = stackalloc float[16];
        new Span<float>(tile, 16).Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < rows; r++)
            {
                float ar = a[r];
                tile[r * 4] += ar * b[0];
                tile[(r * 4) + 1] += ar * b[1];
                tile[(r * 4) + 2] += ar * b[2];
                tile[(r * 4) + 3] += ar * b[3];
            }
            a += 4;
            b += 4;
        }
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < 4; j++)
            {
                c[(r * ldc) + j] = add ? c[(r * ldc) + j] + tile[(r * 4) + j] : tile[(r * 4) + j];
            }
        }
    }
}
