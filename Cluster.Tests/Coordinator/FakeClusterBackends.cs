using System.Collections.Concurrent;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Training;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// Cluster backends for scheduling tests, with no worker processes behind them: they compute in this process (so
/// jobs give the in-process results) or fail as a lost worker does, and record which workers each job was given.
/// </summary>
internal sealed class FakeClusterBackends
{
    /// <summary>The worker ids each job's backend was built with, by job id.</summary>
    public ConcurrentDictionary<string, IReadOnlyList<string>> Placements { get; } = new(StringComparer.Ordinal);

    /// <summary>Computes in this process.</summary>
    public ClusterBackendFactory Local => (jobId, spec, data, model, pool, _) =>
    {
        Placements[jobId] = [.. pool.Workers.Select(worker => worker.Id)];
        return new LocalGradientBackend(spec, data, model, shardEngines: 1);
    };

    /// <summary>Fails every step as the cluster backend does when its last worker stops answering.</summary>
    public ClusterBackendFactory LosingTheLastWorker => (jobId, _, _, _, pool, _) =>
    {
        Placements[jobId] = [.. pool.Workers.Select(worker => worker.Id)];
        return new FailingBackend(pool.Workers[^1].Id, pool.Workers.Count - 1);
    };

    private sealed class FailingBackend(string workerId, int rank) : IGradientBackend
    {
        public ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
            CancellationToken cancellationToken) =>
            ValueTask.FromException<ShardResult>(new WorkerFailedException(workerId, rank, step, "step", "connection refused"));

        public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken) =>
            ValueTask.FromException<ShardResult>(new WorkerFailedException(workerId, rank, 0, "evaluate", "connection refused"));

        public void Dispose()
        {
        }
    }
}
