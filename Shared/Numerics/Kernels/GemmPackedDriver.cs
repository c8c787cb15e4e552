using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// The packed, cache-blocked GEMM loops (BLIS order jc, pc, ic, jr, ir) for one rectangle of C, generic over
/// the micro-kernel so each kernel gets its own compiled copy.
/// </summary>
[SkipLocalsInit]
internal static unsafe class GemmPackedDriver
{
    /// <summary>c[i0..i1, j0..j1] = (or +=) op(a)[i0..i1, :] · op(b)[:, j0..j1], using this thread's buffers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TKernel>(in GemmOperands op, int i0, int i1, int j0, int j1)
        where TKernel : struct, IGemmMicroKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        GemmBlocking blocking = GemmBlocking.For(op.K, mr, nr);
        int ncMax = Math.Min(blocking.Nc, RoundUp(j1 - j0, nr));
        int mcMax = Math.Min(blocking.Mc, RoundUp(i1 - i0, mr));
        GemmWorkspace workspace = GemmWorkspace.Current;
        float* packedA = workspace.PackedA(mcMax * blocking.Kc);
        // A B packed whole beforehand (GemmPackedB) holds every panel with all of K: the panel of column j's k block
        // from p starts at j * K + p * nr.
        bool prepacked = op.PackedB != null;
        float* packedB = prepacked ? null : workspace.PackedB(ncMax * blocking.Kc);
        float* tile = stackalloc float[mr * nr];
        nint ldc = op.N;
        for (int jc = j0; jc < j1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, j1 - jc);
            for (int pc = 0; pc < op.K; pc += blocking.Kc)
            {
                int kc = Math.Min(blocking.Kc, op.K - pc);
                // The first k block writes C (or adds to it when accumulating); later blocks add their part.
                bool add = op.Accumulate || pc > 0;
                if (!prepacked)
                {
                    GemmPacking.Pack(packedB, op.B + (jc * op.BLane) + (pc * op.BStep), op.BLane, op.BStep, nc, kc, nr);
                }
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, i1 - ic);
                    GemmPacking.Pack(packedA, op.A + (ic * op.ALane) + (pc * op.AStep), op.ALane, op.AStep, mc, kc, mr);
                    float* cBlock = op.C + (ic * ldc) + jc;
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* bPanel = prepacked ? op.PackedB + ((long)(jc + jr) * op.K) + (pc * nr) : packedB + (jr * kc);
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            float* aPanel = packedA + (ir * kc);
                            float* cTile = cBlock + (ir * ldc) + jr;
                            if (rows == mr && cols == nr)
                            {
                                TKernel.Run(kc, aPanel, bPanel, cTile, ldc, add);
                            }
                            else if (rows <= mr / 2)
                            {
                                TKernel.RunHalf(kc, aPanel, bPanel, tile, nr, add: false);
                                Merge(cTile, ldc, tile, nr, rows, cols, add);
                            }
                            else
                            {
                                TKernel.Run(kc, aPanel, bPanel, tile, nr, add: false);
                                Merge(cTile, ldc, tile, nr, rows, cols, add);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The valid rows x cols corner of a scratch tile into C: c + t when adding, else t, the same single
    /// rounding the micro-kernels apply to full tiles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Merge(float* c, nint ldc, float* tile, int tileStride, int rows, int cols, bool add)
    {
        for (int r = 0; r < rows; r++, c += ldc, tile += tileStride)
        {
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= cols; j += 8)
                {
                    Vector256<float> t = Vector256.Load(tile + j);
                    (add ? Vector256.Load(c + j) + t : t).Store(c + j);
                }
            }
            if (Vector128.IsHardwareAccelerated)
            {
                for (; j + 4 <= cols; j += 4)
                {
                    Vector128<float> t = Vector128.Load(tile + j);
                    (add ? Vector128.Load(c + j) + t : t).Store(c + j);
                }
            }
            for (; j < cols; j++)
            {
                c[j] = add ? c[j] + tile[j] : tile[j];
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
