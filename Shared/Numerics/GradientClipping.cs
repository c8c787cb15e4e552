using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics;

/// <summary>
/// Gradient clipping and the finiteness check the coordinator runs on the averaged gradient before each
/// optimizer step.
/// </summary>
public static class GradientClipping
{
    /// <summary>What <see cref="ClipByGlobalNorm"/> measured and applied.</summary>
    /// <param name="Norm">L2 norm of the gradient before clipping (NaN or infinity when an element is not finite).</param>
    /// <param name="Scale">Factor the gradient was multiplied by: min(1, maxNorm / norm); 1 when not clipped.</param>
    public readonly record struct ClipResult(double Norm, float Scale);

    /// <summary>
    /// L2 norm of <paramref name="gradients"/>, squares summed in double so that millions of small float terms
    /// do not lose precision. The summation order depends only on the length, so equal inputs give equal norms.
    /// </summary>
    public static double GlobalNorm(ReadOnlySpan<float> gradients)
    {
        ref float g = ref MemoryMarshal.GetReference(gradients);
        nuint length = (nuint)gradients.Length;
        nuint i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<float>.Count)
        {
            var low = Vector256<double>.Zero;
            var high = Vector256<double>.Zero;
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref g, i));
                low = Vector256.FusedMultiplyAdd(lower, lower, low);
                high = Vector256.FusedMultiplyAdd(upper, upper, high);
            }
            sum = Vector256.Sum(low + high);
        }
        for (; i < length; i++)
        {
            double value = Unsafe.Add(ref g, i);
            sum = Math.FusedMultiplyAdd(value, value, sum);
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales <paramref name="gradients"/> in place by min(1, <paramref name="maxNorm"/> / norm) so that their L2
    /// norm is at most <paramref name="maxNorm"/>. Unlike torch.nn.utils.clip_grad_norm_, no 1e-6 is added to the
    /// norm: a clipped gradient has norm maxNorm (up to float rounding), not slightly less. When the norm is not
    /// finite the gradients are left unchanged (scale 1) and the caller skips the step.
    /// </summary>
    /// <param name="gradients">Flat gradient (P), clipped in place.</param>
    /// <param name="maxNorm">Largest allowed L2 norm; finite and &gt; 0.</param>
    public static ClipResult ClipByGlobalNorm(Span<float> gradients, float maxNorm)
    {
        if (!(maxNorm > 0 && float.IsFinite(maxNorm)))
        {
            throw new ArgumentException(
                $"Invalid max_global_norm: {maxNorm.ToString(CultureInfo.InvariantCulture)} (must be finite and > 0)", nameof(maxNorm));
        }
        double norm = GlobalNorm(gradients);
        if (!double.IsFinite(norm) || norm <= maxNorm)
        {
            return new ClipResult(norm, 1f);
        }
        float scale = (float)(maxNorm / norm);
        TensorPrimitives.Multiply(gradients, scale, gradients);
        return new ClipResult(norm, scale);
    }

    /// <summary>Clamps every element of <paramref name="gradients"/> (P) to [-limit, limit] in place.</summary>
    /// <param name="limit">Largest allowed magnitude; finite and &gt; 0.</param>
    public static void ClipByValue(Span<float> gradients, float limit)
    {
        if (!(limit > 0 && float.IsFinite(limit)))
        {
            throw new ArgumentException(
                $"Invalid clip_value: {limit.ToString(CultureInfo.InvariantCulture)} (must be finite and > 0)", nameof(limit));
        }
        TensorPrimitives.Clamp(gradients, -limit, limit, gradients);
    }

    /// <summary>True when no element is NaN or infinite (true for an empty span).</summary>
    public static bool AllFinite(ReadOnlySpan<float> gradients) => TensorPrimitives.IsFiniteAll(gradients);
}
