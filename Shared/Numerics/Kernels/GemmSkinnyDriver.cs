using System.Runtime.CompilerServices;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>Runs a skinny kernel over a range of rows of C (N &lt;= 16), against op(B) packed once per call.</summary>
[SkipLocalsInit]
internal static unsafe class GemmSkinnyDriver
{
    /// <summary>Packs op(B) (K, N) into (K, 16), zero beyond column N.</summary>
    public static void PackB(in GemmOperands op, float* packedB) =>
        GemmPacking.Pack(packedB, op.B, op.BLane, op.BStep, op.N, op.K, GemmSkinnyKernels.Nr);

    /// <summary>c[i0..i1, :] = (or +=) op(a)[i0..i1, :] · op(b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TKernel>(in GemmOperands op, float* packedB, int i0, int i1)
        where TKernel : struct, IGemmSkinnyKernel
    {
        const int Nr = GemmSkinnyKernels.Nr;
        int mr = TKernel.Mr;
        float* tile = stackalloc float[mr * Nr];
        nint ldc = op.N;
        for (int i = i0; i < i1; i += mr)
        {
            int rows = Math.Min(mr, i1 - i);
            float* a = op.A + (i * op.ALane);
            float* c = op.C + (i * ldc);
            if (rows == mr && op.N == Nr)
            {
                TKernel.Run(op.K, a, op.ALane, op.AStep, rows, packedB, c, ldc, op.Accumulate);
            }
            else
            {
                TKernel.Run(op.K, a, op.ALane, op.AStep, rows, packedB, tile, Nr, add: false);
                GemmPackedDriver.Merge(c, ldc, tile, Nr, rows, op.N, op.Accumulate);
            }
        }
    }
}
