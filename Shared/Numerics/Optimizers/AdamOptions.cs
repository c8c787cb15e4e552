namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// Options of <see cref="Adam"/>. Adam and AdamW are one rule: Adam is this record with weight decay 0
/// (the default), AdamW is <see cref="AdamWDefaults"/> (decoupled weight decay 0.01, torch.optim.AdamW's default).
/// </summary>
public sealed record AdamOptions : OptimizerOptions
{
    /// <summary>AdamW: decoupled weight decay 0.01.</summary>
    public static AdamOptions AdamWDefaults => new() { WeightDecay = 0.01f };

    /// <summary>Default 1e-3.</summary>
    public override float LearningRate { get; init; } = 1e-3f;

    /// <summary>Decay of the first-moment average, in [0, 1); default 0.9.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Decay of the second-moment average, in [0, 1); default 0.999.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Added to the bias-corrected root of the second moment; &gt; 0, default 1e-8.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    internal override void Validate()
    {
        base.Validate();
        OptionCheck.UnitInterval("beta1", Beta1);
        OptionCheck.UnitInterval("beta2", Beta2);
        OptionCheck.AboveZero("epsilon", Epsilon);
    }
}
