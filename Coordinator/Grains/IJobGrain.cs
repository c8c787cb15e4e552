using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// One training job, keyed by its job id: the public contract of the job grain, which owns the job's run. Every
/// payload is a copy the caller may keep. A job that was never submitted answers null (and an empty watch).
/// </summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Creates the job, QUEUED, and starts its run; throws <see cref="InvalidOperationException"/> when the id is taken.</summary>
    Task<Job> Submit(JobSpec spec);

    /// <summary>The job as it is now.</summary>
    Task<Job?> Get();

    /// <summary>Ends a queued or waiting job at once and asks a running one to stop at its next step boundary.</summary>
    Task<Job?> Cancel();

    /// <summary>
    /// The job's events: first the snapshot, then the steps reported so far, downsampled (a history event, when there
    /// are any), then every change until the terminal state. Step events beyond
    /// <see cref="JobWatch.StepCapacity"/> unread ones are dropped, so a slow watcher never holds up training.
    /// </summary>
    IAsyncEnumerable<JobEvent> Watch(CancellationToken cancellation = default);
}
