using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>The vector width a GEMM call runs with; each one has its own micro-kernel and tile shape.</summary>
internal enum GemmInstructionSet
{
    Scalar,
    Vector128,
    Vector256,
    Vector512,
}

/// <summary>Which instruction sets this machine runs fast, decided once at run time.</summary>
internal static class GemmInstructionSets
{
    /// <summary>The widest set this machine accelerates; public calls use it.</summary>
    public static GemmInstructionSet Best { get; } =
        IsSupported(GemmInstructionSet.Vector512) ? GemmInstructionSet.Vector512
        : IsSupported(GemmInstructionSet.Vector256) ? GemmInstructionSet.Vector256
        : IsSupported(GemmInstructionSet.Vector128) ? GemmInstructionSet.Vector128
        : GemmInstructionSet.Scalar;

    /// <summary>Every set this machine can run, widest first (tests run each of them).</summary>
    public static IReadOnlyList<GemmInstructionSet> Supported { get; } =
        [.. Enum.GetValues<GemmInstructionSet>().Where(IsSupported).OrderDescending()];

    public static bool IsSupported(GemmInstructionSet set) => set switch
    {
        // The 512-bit kernel calls Avx512F directly, so both must hold.
        GemmInstructionSet.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        GemmInstructionSet.Vector256 => Vector256.IsHardwareAccelerated,
        GemmInstructionSet.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };
}
