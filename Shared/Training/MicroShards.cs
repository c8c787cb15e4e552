namespace DistributedTrainer.Training;

/// <summary>
/// Cuts a step's global batch (sample ids in epoch order) into micro-shards of a fixed size; the last one may
/// be smaller. The cut depends only on the batch, never on the number of workers.
/// </summary>
public static class MicroShards
{
    /// <summary>Default samples per micro-shard.</summary>
    /// <remarks>
    /// Larger shards run larger, more efficient GEMMs and convert fewer gradients to fixed point (single-threaded,
    /// 128 trains the reference MLP about 1.2x to 1.5x as fast as 32; docs/BENCHMARKS.md), but a batch then has
    /// fewer shards to spread over workers and threads (a batch of 128 in shards of 128 keeps one worker busy),
    /// and the size is part of a job's result: gradients and BatchNorm statistics are formed per shard. 32 keeps
    /// four workers busy at the reference batch of 128.
    /// </remarks>
    public const int DefaultSize = 32;

    /// <summary>Number of micro-shards for a batch of <paramref name="batchSize"/> samples.</summary>
    public static int Count(int batchSize, int shardSize) => (batchSize + shardSize - 1) / shardSize;

    /// <summary>The sample ids of micro-shard <paramref name="shard"/>.</summary>
    public static ReadOnlySpan<int> Slice(ReadOnlySpan<int> batch, int shard, int shardSize)
    {
        int start = shard * shardSize;
        return batch.Slice(start, Math.Min(shardSize, batch.Length - start));
    }

    /// <summary>The spec's micro-shard size, or the default when unset.</summary>
    public static int SizeOf(Protos.V1.JobSpec spec) => spec.MicroShardSize > 0 ? spec.MicroShardSize : DefaultSize;
}
