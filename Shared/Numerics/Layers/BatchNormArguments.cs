namespace DistributedTrainer.Numerics.Layers;

/// <summary>The constructor checks that <see cref="BatchNorm"/> and <see cref="BatchNorm2d"/> share.</summary>
internal static class BatchNormArguments
{
    /// <exception cref="ArgumentException">Momentum outside [0, 1] or epsilon not positive and finite.</exception>
    public static void Check(string name, float momentum, float epsilon)
    {
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentException($"Invalid momentum for batch norm '{name}': {momentum} (must be in [0, 1]).",
                nameof(momentum));
        }
        if (!(epsilon > 0 && float.IsFinite(epsilon)))
        {
            throw new ArgumentException($"Invalid epsilon for batch norm '{name}': {epsilon} (must be positive).",
                nameof(epsilon));
        }
    }
}
