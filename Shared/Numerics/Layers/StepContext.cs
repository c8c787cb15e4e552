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
}
