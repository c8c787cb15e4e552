namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// What a forward or backward pass needs to know besides its tensors: training or evaluation, and the keys of
/// the counter-based RNG, so that masks depend on (seed, step, global sample id, layer) and never on the worker.
/// </summary>
public sealed class StepContext
{
    /// <summary>True in training (dropout active, batch statistics); false in evaluation.</summary>
    public bool Training { get; set; }

    /// <summary>The job's seed.</summary>
    public ulong Seed { get; set; }

    /// <summary>Optimizer step number, from 0.</summary>
    public long Step { get; set; }

    /// <summary>Global sample id of each row of the current batch (its index in the training set).</summary>
    public long[] SampleIds { get; set; } = [];

    /// <summary>
    /// A number its setter promises to change whenever the parameters may have changed since the last pass, so that
    /// a layer may keep what it derives from its parameters alone (a weight packed for the GEMM) while the number
    /// stays the same: the micro-shards of one step share their parameters. 0, the default, promises nothing, and
    /// nothing is kept.
    /// </summary>
    public long ParameterVersion { get; set; }
}
