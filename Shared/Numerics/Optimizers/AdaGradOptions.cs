namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>Options of <see cref="AdaGrad"/>; defaults are torch.optim.Adagrad's.</summary>
public sealed record AdaGradOptions : OptimizerOptions
{
    /// <summary>Default 0.01.</summary>
    public override float LearningRate { get; init; } = 0.01f;

    /// <summary>Added to the root of the accumulated squares; &gt; 0, default 1e-10.</summary>
    public float Epsilon { get; init; } = 1e-10f;

    /// <summary>Starting value of every accumulator element; &gt;= 0, default 0.</summary>
    public float InitialAccumulator { get; init; }

    internal override void Validate()
    {
        base.Validate();
        OptionCheck.AboveZero("epsilon", Epsilon);
        OptionCheck.AtLeastZero("initial_accumulator", InitialAccumulator);
    }
}
