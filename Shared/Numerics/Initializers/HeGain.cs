namespace DistributedTrainer.Numerics.Initializers;

/// <summary>PyTorch's <c>calculate_gain("leaky_relu", a)</c>, shared by the two He initializers.</summary>
internal static class HeGain
{
    /// <summary>√(2 / (1 + a²)): a (leaky) ReLU passes 1/2 (or (1 + a²)/2) of its input's second moment.</summary>
    public static double Of(float negativeSlope) => Math.Sqrt(2.0 / (1.0 + (double)negativeSlope * negativeSlope));

    /// <summary>Returns <paramref name="negativeSlope"/> when it is finite and >= 0.</summary>
    public static float CheckSlope(float negativeSlope)
    {
        if (!float.IsFinite(negativeSlope) || negativeSlope < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope),
                $"Invalid negativeSlope: {negativeSlope} (must be finite and >= 0)");
        }
        return negativeSlope;
    }
}
