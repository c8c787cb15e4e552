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

    /// <summary>Fails the first step with <paramref name="message"/>, as a backend does when a worker is lost.</summary>
    public ClusterBackendFactory Failing(string message) => (jobId, _, _, _, pool, _) =>
    {
        Placements[jobId] = [.. pool.Workers.Select(worker => worker.Id)];
        return new FailingBackend(message);
    };

    private sealed class FailingBackend(string message) : IGradientBackend
    {
        public ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, FixedPointAccumulator gradients,
            FixedPointAccumulator bufferChanges, CancellationToken cancellationToken) =>
            ValueTask.FromException<ShardResult>(new IOException(message));

        public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken) =>
            ValueTask.FromException<ShardResult>(new IOException(message));

        public void Dispose()
        {
        }
    }
}
