namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// The workers one job holds: no other job is given them until the lease is disposed (when the job's run ends).
/// The registry adds workers that join the running job and removes those that fail in it.
/// </summary>
internal sealed class WorkerLease(WorkerRegistry registry, string jobId, IReadOnlyList<WorkerEndpoint> workers) : IDisposable
{
    private readonly object _gate = new();
    private readonly List<WorkerEndpoint> _workers = [.. workers];
    private int _released;

    /// <summary>The job holding the workers.</summary>
    public string JobId => jobId;

    /// <summary>The leased workers, in the order they joined (their ring ranks).</summary>
    public IReadOnlyList<WorkerEndpoint> Workers
    {
        get
        {
            lock (_gate)
            {
                return [.. _workers];
            }
        }
    }

    /// <summary>Gives the workers back to the registry; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            registry.Release(this);
        }
    }

    /// <summary>Called by the registry, under its lock, when it leases more workers to the job.</summary>
    internal void Add(IEnumerable<WorkerEndpoint> added)
    {
        lock (_gate)
        {
            _workers.AddRange(added);
        }
    }

    /// <summary>Called by the registry, under its lock, when a worker failed in the job.</summary>
    internal void Remove(WorkerEndpoint worker)
    {
        lock (_gate)
        {
            _workers.Remove(worker);
        }
    }
}
