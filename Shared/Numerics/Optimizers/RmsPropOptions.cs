namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>Options of <see cref="RmsProp"/>; defaults are torch.optim.RMSprop's.</summary>
public sealed record RmsPropOptions : OptimizerOptions
{
    /// <summary>Default 0.01.</summary>
    public override float LearningRate { get; init; } = 0.01f;

    /// <summary>Smoothing constant of the mean square (torch's alpha, the job spec's rho) in [0, 1); default 0.99.</summary>
    public float Rho { get; init; } = 0.99f;

    /// <summary>Added to the root mean square; &gt; 0, default 1e-8.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Momentum coefficient in [0, 1); default 0 (none).</summary>
    public float Momentum { get; init; }

    internal override void Validate()
    {
        base.Validate();
        OptionCheck.UnitInterval("rho", Rho);
        OptionCheck.AboveZero("epsilon", Epsilon);
        OptionCheck.UnitInterval("momentum", Momentum);
    }
}
