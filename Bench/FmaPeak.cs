using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Bench;

/// <summary>
/// The machine's single-precision peak as a loop of independent FMA chains measures it: enough accumulators
/// (12) to cover FMA latency times the FMA ports, no loads, so nothing but FMA throughput limits it. Counts
/// 2 flops per lane per FMA, as the convolution figures count 2 per multiply-add.
/// </summary>
internal static class FmaPeak
{
    private const int Iterations = 1 << 18;

    /// <summary>Runs the chains once on each of <paramref name="threads"/> threads.</summary>
    public static void Run(GemmInstructionSet set, int threads)
    {
        if (threads == 1)
        {
            Chains(set);
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Chains(set));
    }

    /// <summary>Flops of one <see cref="Run"/>.</summary>
    public static double Flops(GemmInstructionSet set, int threads) => (double)threads * Iterations * 12 * Lanes(set) * 2;

    private static int Lanes(GemmInstructionSet set) => set == GemmInstructionSet.Vector512 ? 16 : 8;

    private static float Chains(GemmInstructionSet set) =>
        set == GemmInstructionSet.Vector512 ? Chains512() : Chains256();

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512()
    {
        // Multiplier just under 1 and addend tiny: values stay normal for all iterations.
        Vector512<float> m = Vector512.Create(0.999999f), a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector512<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = GemmFma.MulAdd(c0, m, a);
            c1 = GemmFma.MulAdd(c1, m, a);
            c2 = GemmFma.MulAdd(c2, m, a);
            c3 = GemmFma.MulAdd(c3, m, a);
            c4 = GemmFma.MulAdd(c4, m, a);
            c5 = GemmFma.MulAdd(c5, m, a);
            c6 = GemmFma.MulAdd(c6, m, a);
            c7 = GemmFma.MulAdd(c7, m, a);
            c8 = GemmFma.MulAdd(c8, m, a);
            c9 = GemmFma.MulAdd(c9, m, a);
            c10 = GemmFma.MulAdd(c10, m, a);
            c11 = GemmFma.MulAdd(c11, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256()
    {
        Vector256<float> m = Vector256.Create(0.999999f), a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector256<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = GemmFma.MulAdd(c0, m, a);
            c1 = GemmFma.MulAdd(c1, m, a);
            c2 = GemmFma.MulAdd(c2, m, a);
            c3 = GemmFma.MulAdd(c3, m, a);
            c4 = GemmFma.MulAdd(c4, m, a);
            c5 = GemmFma.MulAdd(c5, m, a);
            c6 = GemmFma.MulAdd(c6, m, a);
            c7 = GemmFma.MulAdd(c7, m, a);
            c8 = GemmFma.MulAdd(c8, m, a);
            c9 = GemmFma.MulAdd(c9, m, a);
            c10 = GemmFma.MulAdd(c10, m, a);
            c11 = GemmFma.MulAdd(c11, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
