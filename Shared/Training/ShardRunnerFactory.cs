using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// Builds the runner that computes a job's micro-shards on one device (the worker's <c>--device</c>); the runner reads
/// <paramref name="model"/>'s parameters at each step.
/// </summary>
/// <param name="modelSpec">The model's spec (replicas and device plans are built from it).</param>
/// <param name="model">The model whose parameters the runner reads.</param>
/// <param name="loss">The job's loss.</param>
/// <param name="data">The training split.</param>
/// <param name="seed">The job's seed, a key of dropout masks.</param>
/// <param name="shardSize">Samples per micro-shard at most.</param>
/// <param name="threads">CPU engines side by side; 0: <see cref="Numerics.ComputeThreads.Count"/>.</param>
public delegate IShardRunner ShardRunnerFactory(ModelSpec modelSpec, Model model, Loss loss, Dataset data, ulong seed,
    int shardSize, int threads);

/// <summary>The factories that need no device library.</summary>
public static class ShardRunners
{
    /// <summary>The SIMD kernels on this machine's cores: a <see cref="MicroShardRunner"/>.</summary>
    public static readonly ShardRunnerFactory Cpu = (modelSpec, model, loss, data, seed, shardSize, threads) =>
        new MicroShardRunner(modelSpec, model, loss, data, seed, shardSize, threads);
}
