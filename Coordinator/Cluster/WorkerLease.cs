namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// The workers one job holds: no other job is given them until the lease is disposed (when the job's run ends).
/// </summary>
internal sealed class WorkerLease(WorkerRegistry registry, string jobId, IReadOnlyList<WorkerEndpoint> workers) : IDisposable
{
    private int _released;

    /// <summary>The job holding the workers.</summary>
    public string JobId => jobId;

    /// <summary>The leased workers, ordered by id (their ring ranks).</summary>
    public IReadOnlyList<WorkerEndpoint> Workers => workers;

    /// <summary>Gives the workers back to the registry; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            registry.Release(this);
        }
    }
}
