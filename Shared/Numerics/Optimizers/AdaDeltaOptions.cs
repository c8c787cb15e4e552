namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>Options of <see cref="AdaDelta"/>; defaults are torch.optim.Adadelta's.</summary>
public sealed record AdaDeltaOptions : OptimizerOptions
{
    /// <summary>Scales the computed delta; default 1.0 (the original AdaDelta has none).</summary>
    public override float LearningRate { get; init; } = 1.0f;

    /// <summary>Decay of both running averages, in [0, 1); default 0.9.</summary>
    public float Rho { get; init; } = 0.9f;

    /// <summary>Added inside both square roots; &gt; 0, default 1e-6.</summary>
    public float Epsilon { get; init; } = 1e-6f;

    internal override void Validate()
    {
        base.Validate();
        OptionCheck.UnitInterval("rho", Rho);
        OptionCheck.AboveZero("epsilon", Epsilon);
    }
}
