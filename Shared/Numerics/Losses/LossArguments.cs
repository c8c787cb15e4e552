using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Losses;

/// <summary>Shape checks shared by every loss, so each names the same values in the same words.</summary>
internal static class LossArguments
{
    /// <summary>Throws unless gradient, outputs and targets all hold batch × classes values.</summary>
    public static void Validate(string loss, int gradientLength, int outputsLength, int targetsLength, int batch, int classes)
    {
        if (batch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"Invalid batch for {loss}: {batch} (must be >= 0)");
        }
        if (classes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), $"Invalid classes for {loss}: {classes} (must be >= 1)");
        }
        long expected = (long)batch * classes;
        CheckLength(loss, "outputs", outputsLength, expected, batch, classes);
        CheckLength(loss, "targets", targetsLength, expected, batch, classes);
        CheckLength(loss, "gradient", gradientLength, expected, batch, classes);
    }

    /// <summary>Throws unless every target lies in [0, 1] (NaN included), naming the first offender.</summary>
    public static void ValidateProbabilities(string loss, ReadOnlySpan<float> targets, int classes)
    {
        if (targets.IsEmpty)
        {
            return;
        }
        // Max and Min propagate NaN, so one vectorized pass each clears the common case.
        float low = TensorPrimitives.Min(targets);
        float high = TensorPrimitives.Max(targets);
        if (low >= 0f && high <= 1f)
        {
            return;
        }
        for (int i = 0; i < targets.Length; i++)
        {
            float target = targets[i];
            if (!(target >= 0f && target <= 1f))
            {
                throw new ArgumentException(
                    $"Invalid target for {loss} at sample {i / classes}, output {i % classes}: {target} (must be in [0, 1])",
                    nameof(targets));
            }
        }
    }

    private static void CheckLength(string loss, string name, int length, long expected, int batch, int classes)
    {
        if (length != expected)
        {
            throw new ArgumentException(
                $"Invalid {name} length for {loss}: {length} (must be batch {batch} × classes {classes} = {expected})", name);
        }
    }
}
