namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// Where a GAN step's micro-shards are computed: in this process (<see cref="LocalAdversarialBackend"/>) or on a
/// cluster's workers. Either way the backend uses both networks' current parameters and buffers, and the sums it
/// returns are exact, so the <see cref="AdversarialTrainer"/> above it gives bitwise the same run on every backend.
/// </summary>
public interface IAdversarialBackend : IDisposable
{
    /// <summary>
    /// Critic update <paramref name="step"/> over the micro-shards of <paramref name="batch"/> (sample ids of the
    /// training split, cut by <see cref="MicroShards"/>) and as many generated samples; leaves the batch means of the
    /// discriminator's exact gradient sums and buffer changes in <paramref name="gradient"/> and returns the shards'
    /// results summed in shard order.
    /// </summary>
    ValueTask<ShardResult> CriticAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
        CancellationToken cancellationToken);

    /// <summary>
    /// Generator update <paramref name="step"/> over <paramref name="vectors"/> noise vectors cut into micro-shards;
    /// leaves the batch means of the generator's exact gradient sums and buffer changes in <paramref name="gradient"/>
    /// and returns the shards' results summed in shard order.
    /// </summary>
    ValueTask<ShardResult> GeneratorAsync(long step, int vectors, StepGradient gradient,
        CancellationToken cancellationToken);
}
