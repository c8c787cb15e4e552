namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// LeCun normal: N(0, σ²) with σ = 1 / √fan. Untruncated (Keras truncates at 2σ; PyTorch has no truncated
/// variant of this one), so it matches <c>normal_(0, 1/√fan)</c>.
/// </summary>
public sealed class LeCunNormalInitializer : Initializer
{
    /// <param name="fanMode">Fan that sets the variance; default <see cref="FanMode.FanIn"/>.</param>
    public LeCunNormalInitializer(FanMode fanMode = FanMode.FanIn)
    {
        FanMode = InitializerArguments.Defined(fanMode);
    }

    /// <summary>Fan that sets the variance.</summary>
    public FanMode FanMode { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateShape("lecun_normal", destination, fanIn, fanOut);
        double std = 1.0 / Math.Sqrt(InitializerArguments.Fan(FanMode, fanIn, fanOut));
        RandomFill.Normal(destination, 0.0, std, random);
    }
}
