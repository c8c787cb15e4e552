namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// The workers a cluster job computes on, as they fail and join. <see cref="ClusterGradientBackend"/> asks it at
/// every step boundary for workers that joined and tells it which worker failed a step.
/// </summary>
internal interface IWorkerPool
{
    /// <summary>The job's workers, in ring order.</summary>
    IReadOnlyList<WorkerEndpoint> Workers { get; }

    /// <summary>Fewest workers the job trains on; with fewer it waits.</summary>
    int Minimum { get; }

    /// <summary>
    /// Takes <paramref name="worker"/> out of the job after it failed (<paramref name="gone"/>: its process is gone);
    /// when fewer than <see cref="Minimum"/> remain, waits until enough have joined. False when none is left and
    /// none can come (a fixed pool): the job cannot go on.
    /// </summary>
    Task<bool> DropAsync(WorkerEndpoint worker, bool gone, CancellationToken cancellationToken);

    /// <summary>Adds workers that became available since, up to the job's maximum; returns those added.</summary>
    Task<IReadOnlyList<WorkerEndpoint>> JoinAsync();

    /// <summary>
    /// Workers of the job that said they are stopping (SIGTERM) since the last call: the job releases them at this step
    /// boundary, their last step done, with <see cref="DropAsync"/> (gone) after telling them to stop the job.
    /// </summary>
    IReadOnlyList<WorkerEndpoint> TakeLeaving();
}
