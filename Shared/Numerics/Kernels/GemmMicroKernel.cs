using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: one <see cref="Mr"/> x <see cref="Nr"/> tile of C from packed panels.
/// Implemented by structs so the generic driver is compiled once per kernel with the calls inlined. Kernels,
/// drivers and packing are marked AggressiveOptimization: tier-0 code of these loops runs several times slower
/// and would otherwise serve the first calls of every training run.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of a tile (the A panel width).</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of a tile (the B panel width).</summary>
    static abstract int Nr { get; }

    /// <summary>
    /// Packed A panel (kc, Mr), packed B panel (kc, Nr) -> tile = sum over p of a[p]^T b[p], summed from zero in
    /// order p = 0..kc-1; then c (Mr, Nr) with row stride <paramref name="ldc"/> becomes c + tile when
    /// <paramref name="add"/>, else tile. Every element is computed the same way, so edge tiles run through a
    /// scratch tile and round exactly like full ones.
    /// </summary>
    static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, bool add);

    /// <summary>
    /// <see cref="Run"/> for the first Mr / 2 rows only (the A panel is still Mr wide): edge tiles with that few
    /// rows skip half the work, with the same operations per element, so results match bit for bit.
    /// </summary>
    static abstract void RunHalf(int kc, float* a, float* b, float* c, nint ldc, bool add);
}

/// <summary>Fused multiply-add per vector width: hardware FMA where the machine has it, else multiply then add.</summary>
internal static class GemmFma
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : (a * b) + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c)
        : AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(c, a, b)
        : (a * b) + c;
}
