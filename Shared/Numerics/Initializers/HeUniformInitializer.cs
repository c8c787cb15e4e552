namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// He/Kaiming uniform (PyTorch <c>kaiming_uniform_</c> with nonlinearity "leaky_relu"): U[−b, b] with
/// b = √3 · gain / √fan and gain = √(2 / (1 + negativeSlope²)), so √2 for ReLU (negativeSlope 0).
/// </summary>
public sealed class HeUniformInitializer : Initializer
{
    /// <param name="fanMode">Fan that sets the variance; default <see cref="FanMode.FanIn"/>.</param>
    /// <param name="negativeSlope">Slope of the following leaky ReLU for x &lt; 0, finite and >= 0; default 0 (ReLU).</param>
    public HeUniformInitializer(FanMode fanMode = FanMode.FanIn, float negativeSlope = 0f)
    {
        FanMode = InitializerArguments.Defined(fanMode);
        NegativeSlope = HeGain.CheckSlope(negativeSlope);
    }

    /// <summary>Fan that sets the variance.</summary>
    public FanMode FanMode { get; }

    /// <summary>Slope of the following leaky ReLU for negative inputs.</summary>
    public float NegativeSlope { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateShape("he_uniform", destination, fanIn, fanOut);
        double std = HeGain.Of(NegativeSlope) / Math.Sqrt(InitializerArguments.Fan(FanMode, fanIn, fanOut));
        // U[−b, b] has standard deviation b / √3.
        double bound = Math.Sqrt(3.0) * std;
        RandomFill.Uniform(destination, -bound, bound, random);
    }
}
