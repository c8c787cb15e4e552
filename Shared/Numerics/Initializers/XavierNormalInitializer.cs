namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// Glorot/Xavier normal (PyTorch <c>xavier_normal_</c>): N(0, σ²) with σ = gain · √(2 / (fanIn + fanOut)).
/// </summary>
public sealed class XavierNormalInitializer : Initializer
{
    /// <param name="gain">Scale factor, finite and > 0; default 1.</param>
    public XavierNormalInitializer(float gain = 1f)
    {
        Gain = InitializerArguments.Positive(gain, nameof(gain));
    }

    /// <summary>Scale factor on the standard deviation.</summary>
    public float Gain { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateShape("xavier_normal", destination, fanIn, fanOut);
        double std = Gain * Math.Sqrt(2.0 / ((double)fanIn + fanOut));
        RandomFill.Normal(destination, 0.0, std, random);
    }
}
