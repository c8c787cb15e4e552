using DistributedTrainer.Numerics.Optimizers;

namespace DistributedTrainer.Training;

/// <summary>
/// Where a step's micro-shards are computed and where evaluation runs: in this process
/// (<see cref="LocalGradientBackend"/>) or on a cluster's workers. Either way the backend uses the model's
/// current parameters and buffers, and the sums it returns are exact, so the <see cref="Trainer"/> above it
/// gives bitwise the same run on every backend.
/// </summary>
public interface IGradientBackend : IDisposable
{
    /// <summary>
    /// Forward and backward over the micro-shards of <paramref name="batch"/> (sample ids of the training split, cut
    /// by <see cref="MicroShards"/>) at optimizer step <paramref name="step"/>; sums the gradients and the
    /// sample-weighted buffer changes exactly, leaves their batch means (or the non-finite mark) in
    /// <paramref name="gradient"/>, and returns the shards' results summed in shard order.
    /// </summary>
    ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
        CancellationToken cancellationToken);

    /// <summary>
    /// Tells the backend the batch that the step after the next <see cref="ComputeAsync"/> will get, so that workers can
    /// read its samples while that step computes; empty when it is not known. A hint: it never changes a result, and
    /// <paramref name="nextBatch"/> stays valid until that ComputeAsync returns. The default ignores it (a backend
    /// without workers has nothing to read ahead).
    /// </summary>
    void Upcoming(ReadOnlyMemory<int> nextBatch)
    {
    }

    /// <summary>
    /// Tells the backend, before the next <see cref="ComputeAsync"/>, what the trainer does around that step, so that
    /// a backend whose workers can repeat the update may start the step after it early (the workers apply the update
    /// while the master's is still being made). A hint for speed: results never depend on it, and the default ignores
    /// it.
    /// </summary>
    void Plan(StepPlan plan)
    {
    }

    /// <summary>
    /// Names the optimizer whose central update follows every <see cref="ComputeAsync"/> (its state read when needed, so a
    /// checkpoint restored into it later counts), before the first step. The default ignores it.
    /// </summary>
    void UseOptimizer(Optimizer optimizer)
    {
    }

    /// <summary>
    /// Tells the backend that the central update of step <paramref name="step"/> (<paramref name="update"/>, made with the
    /// optimizer of <see cref="UseOptimizer"/>) has changed the master parameters since its <see cref="ComputeAsync"/>, so
    /// that workers holding that step's mean gradient can repeat the update on their own copies instead of receiving the
    /// new parameters. A hint for speed: a backend that ignores it (the default) sends the parameters every step.
    /// </summary>
    void Updated(long step, UpdateResult update)
    {
    }

    /// <summary>
    /// Loss sum, correct count and sample count over the whole <paramref name="split"/>, summed over
    /// <see cref="Trainer.EvaluationChunk"/>-sample chunks in order.
    /// </summary>
    ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken);
}
