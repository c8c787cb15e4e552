using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// One training job, keyed by its job id, in the Orleans grain shape: every method is a message the grain
/// handles one at a time, and every payload is a copy the caller may keep. A job that was never submitted
/// answers null.
/// </summary>
internal interface IJobGrain
{
    /// <summary>Creates the job, QUEUED; throws <see cref="InvalidOperationException"/> when the id is taken.</summary>
    Task<Job> Submit(JobSpec spec);

    /// <summary>The job as it is now.</summary>
    Task<Job?> Get();

    /// <summary>Ends a queued or waiting job at once and asks a running one to stop at its next step boundary.</summary>
    Task<Job?> Cancel();

    /// <summary>Subscribes to the job's events; the first event is the snapshot, the last the terminal state.</summary>
    Task<JobWatch?> Watch();

    /// <summary>
    /// A job not running yet says what it waits for: QUEUED (free workers, or the job ahead in this process) or
    /// WAITING_FOR_WORKERS (too few registered), with <paramref name="message"/>. Ended jobs are unchanged.
    /// </summary>
    Task Wait(JobState state, string message);

    /// <summary>
    /// The job becomes RUNNING on <paramref name="workers"/> workers, <paramref name="message"/> saying where; returns
    /// the spec to train, or null when the job is not to run (it ended, e.g. cancelled while it waited).
    /// </summary>
    Task<JobSpec?> Start(int workers, string message);

    /// <summary>
    /// A running job's ring changed, or a job that waited for workers mid-run (WAITING_FOR_WORKERS) has enough
    /// again: it is RUNNING on <paramref name="workers"/> workers, <paramref name="message"/> saying why. Ended jobs
    /// are unchanged.
    /// </summary>
    Task Continue(int workers, string message);

    /// <summary>One optimizer step finished.</summary>
    Task ReportStep(StepMetrics step);

    /// <summary>One epoch finished and was evaluated; <paramref name="checkpoint"/> is the newest checkpoint, if any.</summary>
    Task ReportEpoch(EpochMetrics epoch, string? checkpoint);

    /// <summary>A notable event in words.</summary>
    Task ReportEvent(string message);

    /// <summary>The run ended in <paramref name="state"/> (SUCCEEDED, FAILED or CANCELLED).</summary>
    Task Finish(JobState state, string message, JobResult? result, string? checkpoint);
}
