namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// Options of <see cref="Sgd"/>. Momentum 0 is plain SGD; momentum &gt; 0 is heavy-ball momentum; with
/// <see cref="Nesterov"/> it is Nesterov momentum. The three job-spec kinds SGD, MOMENTUM and NESTEROV are
/// this one rule with <see cref="SgdOptions()"/>, <see cref="MomentumDefaults"/> and <see cref="NesterovDefaults"/>.
/// </summary>
public sealed record SgdOptions : OptimizerOptions
{
    /// <summary>Heavy-ball momentum with its usual coefficient 0.9.</summary>
    public static SgdOptions MomentumDefaults => new() { Momentum = 0.9f };

    /// <summary>Nesterov momentum with coefficient 0.9.</summary>
    public static SgdOptions NesterovDefaults => new() { Momentum = 0.9f, Nesterov = true };

    /// <summary>Default 0.01.</summary>
    public override float LearningRate { get; init; } = 0.01f;

    /// <summary>Momentum coefficient μ in [0, 1); default 0 (plain SGD).</summary>
    public float Momentum { get; init; }

    /// <summary>Use the Nesterov look-ahead; needs <see cref="Momentum"/> &gt; 0. Default false.</summary>
    public bool Nesterov { get; init; }

    internal override void Validate()
    {
        base.Validate();
        OptionCheck.UnitInterval("momentum", Momentum);
        if (Nesterov && Momentum == 0f)
        {
            throw OptionCheck.Invalid("momentum", Momentum, "Nesterov needs momentum > 0");
        }
    }
}
