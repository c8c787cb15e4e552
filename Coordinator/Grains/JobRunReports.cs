using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// How a run, off the grain's scheduler, reports to its grain: every report is queued to the grain and applied in
/// its turn, in the order posted. Steps, epochs and events do not wait (training never waits for watchers); state
/// changes return once the grain has applied and persisted them.
/// </summary>
/// <remarks>
/// Steps go to the grain in batches, every <see cref="StepBatchInterval"/> at most: one report per step woke the
/// grain, each watch's stream and each watching client once per step, on the cores the step itself runs on (about 5 %
/// of a step of the reference job on 2 cores, docs/BENCHMARKS.md). Every step is still reported, in order: whatever
/// else is posted sends the steps waiting before it.
/// </remarks>
internal sealed class JobRunReports(JobGrain grain) : IJobWorkersObserver
{
    /// <summary>Longest a step waits to be reported.</summary>
    public static readonly TimeSpan StepBatchInterval = TimeSpan.FromMilliseconds(50);

    // Held while posting, so that reports reach the grain in the order they were made.
    private readonly Lock _gate = new();

    // Steps not yet posted, oldest first; null when none wait (and no batch is due).
    private List<StepMetrics>? _steps;

    /// <summary>The job waits to be placed: QUEUED or WAITING_FOR_WORKERS, <paramref name="message"/> saying why.</summary>
    public Task Waiting(JobState state, string message) => PostAfterSteps(() => grain.Wait(state, message));

    /// <summary>The job becomes RUNNING; returns the spec to train, or null when it is not to run.</summary>
    public Task<JobSpec?> Started(int workers, string message) => PostAfterSteps(() => grain.Start(workers, message));

    /// <inheritdoc />
    public Task Running(int workers, string message) => PostAfterSteps(() => grain.Continue(workers, message));

    /// <inheritdoc />
    public Task WaitingForWorkers(string message) => Waiting(JobState.WaitingForWorkers, message);

    /// <summary>One optimizer step finished; it reaches the grain within <see cref="StepBatchInterval"/>.</summary>
    public void Step(StepMetrics step)
    {
        lock (_gate)
        {
            if (_steps is not null)
            {
                _steps.Add(step);
                return;
            }
            _steps = [step];
        }
        _ = PostStepsLaterAsync();
    }

    /// <summary>One epoch finished; <paramref name="checkpoint"/> is the newest checkpoint, if any.</summary>
    public void Epoch(EpochMetrics epoch, string? checkpoint) => _ = PostAfterSteps(() => grain.ReportEpoch(epoch, checkpoint));

    /// <summary>A notable event in words.</summary>
    public Task Event(string message) => PostAfterSteps(() =>
    {
        grain.ReportEvent(message);
        return Task.FromResult(true);
    });

    /// <summary>The run ended in <paramref name="state"/> (SUCCEEDED, FAILED or CANCELLED).</summary>
    public Task Finished(JobState state, string message, JobResult? result, string? checkpoint) =>
        PostAfterSteps(() => grain.Finish(state, message, result, checkpoint));

    private async Task PostStepsLaterAsync()
    {
        await Task.Delay(StepBatchInterval);
        lock (_gate)
        {
            PostStepsLocked();
        }
    }

    private Task<T> PostAfterSteps<T>(Func<Task<T>> report)
    {
        lock (_gate)
        {
            PostStepsLocked();
            return grain.Post(report);
        }
    }

    private void PostStepsLocked()
    {
        if (_steps is not { } steps)
        {
            return;
        }
        _steps = null;
        _ = grain.Post(() =>
        {
            foreach (var step in steps)
            {
                grain.ReportStep(step);
            }
            return Task.FromResult(true);
        });
    }
}
