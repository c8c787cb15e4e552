namespace DistributedTrainer.Numerics.Initializers;

/// <summary>Independent draws from U[low, high] (PyTorch <c>uniform_</c>).</summary>
public sealed class UniformInitializer : Initializer
{
    /// <summary>Lower bound when the job spec leaves it unset.</summary>
    public const float DefaultLow = -0.05f;

    /// <summary>Upper bound when the job spec leaves it unset.</summary>
    public const float DefaultHigh = 0.05f;

    /// <param name="low">Lower bound, finite; default -0.05.</param>
    /// <param name="high">Upper bound, finite and >= low; default 0.05.</param>
    public UniformInitializer(float low = DefaultLow, float high = DefaultHigh)
    {
        Low = InitializerArguments.Finite(low, nameof(low));
        High = InitializerArguments.Finite(high, nameof(high));
        if (low > high)
        {
            throw new ArgumentException($"Invalid bounds: low {low} > high {high} (must be low <= high)", nameof(low));
        }
    }

    /// <summary>Lower bound (inclusive).</summary>
    public float Low { get; }

    /// <summary>Upper bound.</summary>
    public float High { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateShape("uniform", destination, fanIn, fanOut);
        RandomFill.Uniform(destination, Low, High, random);
    }
}
