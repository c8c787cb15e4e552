namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// Glorot/Xavier uniform (PyTorch <c>xavier_uniform_</c>): U[−a, a] with a = gain · √(6 / (fanIn + fanOut)),
/// which keeps activation and gradient variance balanced for tanh and sigmoid layers.
/// </summary>
public sealed class XavierUniformInitializer : Initializer
{
    /// <param name="gain">Scale factor, finite and > 0; default 1.</param>
    public XavierUniformInitializer(float gain = 1f)
    {
        Gain = InitializerArguments.Positive(gain, nameof(gain));
    }

    /// <summary>Scale factor on the bound.</summary>
    public float Gain { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateShape("xavier_uniform", destination, fanIn, fanOut);
        double bound = Gain * Math.Sqrt(6.0 / ((double)fanIn + fanOut));
        RandomFill.Uniform(destination, -bound, bound, random);
    }
}
