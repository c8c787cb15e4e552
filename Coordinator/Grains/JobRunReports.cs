using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// How a run, off the grain's scheduler, reports to its grain: every report is queued to the grain and applied in
/// its turn, in the order posted. Steps, epochs and events do not wait (training never waits for watchers); state
/// changes return once the grain has applied and persisted them.
/// </summary>
internal sealed class JobRunReports(JobGrain grain) : IJobWorkersObserver
{
    /// <summary>The job waits to be placed: QUEUED or WAITING_FOR_WORKERS, <paramref name="message"/> saying why.</summary>
    public Task Waiting(JobState state, string message) => grain.Post(() => grain.Wait(state, message));

    /// <summary>The job becomes RUNNING; returns the spec to train, or null when it is not to run.</summary>
    public Task<JobSpec?> Started(int workers, string message) => grain.Post(() => grain.Start(workers, message));

    /// <inheritdoc />
    public Task Running(int workers, string message) => grain.Post(() => grain.Continue(workers, message));

    /// <inheritdoc />
    public Task WaitingForWorkers(string message) => Waiting(JobState.WaitingForWorkers, message);

    /// <summary>One optimizer step finished.</summary>
    public void Step(StepMetrics step) => _ = grain.Post(() =>
    {
        grain.ReportStep(step);
        return Task.FromResult(true);
    });

    /// <summary>One epoch finished; <paramref name="checkpoint"/> is the newest checkpoint, if any.</summary>
    public void Epoch(EpochMetrics epoch, string? checkpoint) => _ = grain.Post(() => grain.ReportEpoch(epoch, checkpoint));

    /// <summary>A notable event in words.</summary>
    public Task Event(string message) => grain.Post(() =>
    {
        grain.ReportEvent(message);
        return Task.FromResult(true);
    });

    /// <summary>The run ended in <paramref name="state"/> (SUCCEEDED, FAILED or CANCELLED).</summary>
    public Task Finished(JobState state, string message, JobResult? result, string? checkpoint) =>
        grain.Post(() => grain.Finish(state, message, result, checkpoint));
}
