namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// He/Kaiming normal (PyTorch <c>kaiming_normal_</c> with nonlinearity "leaky_relu"): N(0, σ²) with
/// σ = gain / √fan and gain = √(2 / (1 + negativeSlope²)), so √2 for ReLU (negativeSlope 0).
/// </summary>
public sealed class HeNormalInitializer : Initializer
{
    /// <param name="fanMode">Fan that sets the variance; default <see cref="FanMode.FanIn"/>.</param>
    /// <param name="negativeSlope">Slope of the following leaky ReLU for x &lt; 0, finite and >= 0; default 0 (ReLU).</param>
    public HeNormalInitializer(FanMode fanMode = FanMode.FanIn, float negativeSlope = 0f)
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
        InitializerArguments.ValidateShape("he_normal", destination, fanIn, fanOut);
        double std = HeGain.Of(NegativeSlope) / Math.Sqrt(InitializerArguments.Fan(FanMode, fanIn, fanOut));
        RandomFill.Normal(destination, 0.0, std, random);
    }
}
