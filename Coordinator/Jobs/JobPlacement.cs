using DistributedTrainer.Coordinator.Cluster;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>
/// Where <see cref="JobQueue"/> placed a job: on leased workers, or in the coordinator process (<see cref="Lease"/>
/// null). Disposing it when the run ends gives the workers or the in-process slot back and wakes the queue.
/// </summary>
internal sealed class JobPlacement(WorkerLease? lease, Action release) : IDisposable
{
    private int _released;

    /// <summary>The workers the job holds; null when it trains in the coordinator process.</summary>
    public WorkerLease? Lease => lease;

    /// <summary>How many take part in a step: the leased workers, or 1 in process.</summary>
    public int Workers => lease?.Workers.Count ?? 1;

    /// <summary>Where the job runs, in words, as its RUNNING message says it.</summary>
    public string Description => lease is null
        ? "Training in the coordinator process."
        : $"Running on {string.Join(", ", lease.Workers.Select(worker => worker.Id))}.";

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            lease?.Dispose();
            release();
        }
    }
}
