namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// LeCun uniform: U[−b, b] with b = √(3 / fan), variance 1 / fan, suited to SELU and tanh layers.
/// </summary>
public sealed class LeCunUniformInitializer : Initializer
{
    /// <param name="fanMode">Fan that sets the variance; default <see cref="FanMode.FanIn"/>.</param>
    public LeCunUniformInitializer(FanMode fanMode = FanMode.FanIn)
    {
        FanMode = InitializerArguments.Defined(fanMode);
    }

    /// <summary>Fan that sets the variance.</summary>
    public FanMode FanMode { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateShape("lecun_uniform", destination, fanIn, fanOut);
        double bound = Math.Sqrt(3.0 / InitializerArguments.Fan(FanMode, fanIn, fanOut));
        RandomFill.Uniform(destination, -bound, bound, random);
    }
}
