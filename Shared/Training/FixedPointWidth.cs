using System.Runtime.Intrinsics;

namespace DistributedTrainer.Training;

/// <summary>Widest vectors <see cref="FixedPointAccumulator"/> converts with; all give bitwise the same sums.</summary>
internal enum FixedPointWidth
{
    /// <summary>Element by element: the definition the vector paths must match.</summary>
    Scalar,

    /// <summary>8 floats (4 doubles) at a time.</summary>
    Vector256,

    /// <summary>16 floats (8 doubles) at a time.</summary>
    Vector512,
}

/// <summary>The widest <see cref="FixedPointWidth"/> this machine accelerates.</summary>
internal static class FixedPointWidths
{
    /// <summary>Vector512 with AVX-512, Vector256 with AVX2 or another 256-bit unit, else scalar.</summary>
    public static readonly FixedPointWidth Best =
        Vector512.IsHardwareAccelerated ? FixedPointWidth.Vector512
        : Vector256.IsHardwareAccelerated ? FixedPointWidth.Vector256
        : FixedPointWidth.Scalar;
}
