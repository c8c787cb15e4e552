namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A pool of known workers without a registry (a backend driven directly): failed workers leave it, none joins,
/// and the job fails once the last one has failed.
/// </summary>
internal sealed class FixedWorkerPool : IWorkerPool
{
    private readonly List<WorkerEndpoint> _workers;

    public FixedWorkerPool(IReadOnlyList<WorkerEndpoint> workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        if (workers.Count == 0)
        {
            throw new ArgumentException("Invalid workers: none (a cluster job needs at least one)", nameof(workers));
        }
        _workers = [.. workers];
    }

    public IReadOnlyList<WorkerEndpoint> Workers => _workers;

    public int Minimum => 1;

    public Task<bool> DropAsync(WorkerEndpoint worker, bool gone, CancellationToken cancellationToken)
    {
        _workers.Remove(worker);
        return Task.FromResult(_workers.Count > 0);
    }

    public Task<IReadOnlyList<WorkerEndpoint>> JoinAsync() => Task.FromResult<IReadOnlyList<WorkerEndpoint>>([]);

    // Fixed workers are not registered, so none can say it is leaving.
    public IReadOnlyList<WorkerEndpoint> TakeLeaving() => [];
}
