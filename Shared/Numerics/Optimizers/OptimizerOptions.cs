namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// What every optimizer's options record has: the base learning rate (the schedule scales it) and the decoupled
/// weight decay. Each optimizer's record adds its own hyperparameters and holds its defaults.
/// </summary>
public abstract record OptimizerOptions
{
    /// <summary>Base learning rate, the value a schedule starts from; must be finite and &gt;= 0.</summary>
    public abstract float LearningRate { get; init; }

    /// <summary>
    /// Decoupled weight decay per unit learning rate: before each update a weight tensor is multiplied by
    /// (1 - lr * weight_decay), as torch.optim.AdamW does. Applied to weights only (not biases or scales).
    /// Default 0 (none) except for AdamW.
    /// </summary>
    public float WeightDecay { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid hyperparameter.</summary>
    internal virtual void Validate()
    {
        OptionCheck.AtLeastZero("learning_rate", LearningRate);
        OptionCheck.AtLeastZero("weight_decay", WeightDecay);
    }
}
