namespace DistributedTrainer.Training;

/// <summary>
/// Computes a step's micro-shards into exact fixed-point sums: <see cref="MicroShardRunner"/> on the CPU's SIMD kernels,
/// or a device runner (DistributedTrainer.Devices) on an ILGPU accelerator. Either reads the model's parameters at each
/// call and adds the same kind of sums, so a worker may use either and the ring cannot tell them apart.
/// </summary>
public interface IShardRunner : IDisposable
{
    /// <summary>
    /// The lowest shard (index into the last call's shards) whose gradient or buffer change held NaN, infinity or a
    /// value out of fixed-point range; -1 when every shard was finite.
    /// </summary>
    int FirstNonFiniteShard { get; }

    /// <summary>
    /// Forward and backward over the micro-shards of <paramref name="batch"/> cut by <see cref="MicroShards"/> at
    /// optimizer step <paramref name="step"/>; adds the gradient sums and sample-weighted buffer changes into the
    /// accumulators and returns the shards' results summed in shard order.
    /// </summary>
    ShardResult Compute(long step, ReadOnlySpan<int> batch, FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges);

    /// <summary>
    /// Forward and backward over arbitrary micro-shards, the way a worker gets them: shard k holds the next
    /// <paramref name="shardLengths"/>[k] ids of <paramref name="sampleIds"/>. Adds into the sums and writes each
    /// shard's result to <paramref name="results"/>[k].
    /// </summary>
    void ComputeShards(long step, ReadOnlySpan<int> sampleIds, ReadOnlySpan<int> shardLengths,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, Span<ShardResult> results);
}
