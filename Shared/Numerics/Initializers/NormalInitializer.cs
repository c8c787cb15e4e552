namespace DistributedTrainer.Numerics.Initializers;

/// <summary>Independent draws from N(mean, std²) (PyTorch <c>normal_</c>).</summary>
public sealed class NormalInitializer : Initializer
{
    /// <summary>Standard deviation when the job spec leaves it unset.</summary>
    public const float DefaultStd = 0.05f;

    /// <param name="mean">Mean, finite; default 0.</param>
    /// <param name="std">Standard deviation, finite and > 0; default 0.05.</param>
    public NormalInitializer(float mean = 0f, float std = DefaultStd)
    {
        Mean = InitializerArguments.Finite(mean, nameof(mean));
        Std = InitializerArguments.Positive(std, nameof(std));
    }

    /// <summary>Mean of the draws.</summary>
    public float Mean { get; }

    /// <summary>Standard deviation of the draws.</summary>
    public float Std { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateShape("normal", destination, fanIn, fanOut);
        RandomFill.Normal(destination, Mean, Std, random);
    }
}
