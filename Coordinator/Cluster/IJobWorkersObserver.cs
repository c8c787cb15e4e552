namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Hears how a running job's workers change (<see cref="LeasedWorkerPool"/> tells it); the job grain shows it as the
/// job's state and message. Cluster code depends on this seam, not on the grain.
/// </summary>
internal interface IJobWorkersObserver
{
    /// <summary>The job runs on <paramref name="workers"/> workers again or still, <paramref name="message"/> saying why.</summary>
    Task Running(int workers, string message);

    /// <summary>Fewer than min_workers are left: the job waits for workers, <paramref name="message"/> saying how many.</summary>
    Task WaitingForWorkers(string message);
}
