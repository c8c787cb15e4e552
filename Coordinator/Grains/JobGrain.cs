using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// The job grain: the state machine of one job, QUEUED ⇄ WAITING_FOR_WORKERS → RUNNING → SUCCEEDED | FAILED |
/// CANCELLED, and the owner of its run. Submitting (or activating a job left unfinished by a coordinator restart)
/// starts a <see cref="JobRun"/> off the grain's scheduler, so get, watch and cancel answer while a step computes;
/// the run reports back through <see cref="JobRunReports"/>, whose reports the grain applies one at a time, in
/// order, on its own scheduler. It persists the job on every state change, epoch and checkpoint, and fans events out
/// to its watchers.
/// </summary>
internal sealed class JobGrain(
    [PersistentState("job", JobGrainsSilo.StorageName)] IPersistentState<Job> state, JobRunServices services,
    JobSubmissions submissions)
    : Grain, IJobGrain
{
    // How long a running job's grain stays active without calls: as long as its run goes on.
    private static readonly TimeSpan RunKeepAlive = TimeSpan.FromDays(3650);
    private readonly List<JobWatch> _watchers = [];
    private readonly RecentMessages _recentMessages = new();
    // The run's steps so far, downsampled, for watchers that begin mid-run. In memory for the grain's life only, like
    // the watchers it serves: after a coordinator restart it begins at the step the job resumed from.
    private readonly DownsampledSteps _steps = new();
    private readonly Channel<Func<Task>> _reports = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private CancellationTokenSource? _stop;
    private Task? _run;
    private bool _cancelRequested;

    private string JobId => this.GetPrimaryKeyString();

    private Job? Current => state.RecordExists ? state.State : null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Started in the grain's turn, so the reports run on the grain's scheduler, between its calls.
        _ = ApplyReportsAsync();
        if (Current is { } job && IsUnfinished(job.State))
        {
            // Left unfinished by the last coordinator: the run resumes from the newest checkpoint.
            StartRun(job.Spec);
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_run is { } run)
        {
            _stop?.Cancel();
            await run;
        }
        _reports.Writer.TryComplete();
    }

    public async Task<Job> Submit(JobSpec spec)
    {
        if (Current is not null)
        {
            throw new InvalidOperationException($"Job {JobId} already exists.");
        }
        state.State = new Job
        {
            JobId = JobId,
            Spec = spec.Clone(),
            State = JobState.Queued,
            CreatedUnixMs = Now(),
            Message = "Waiting for the jobs ahead of it.",
            Progress = new JobProgress { Epochs = spec.Epochs },
        };
        await state.WriteStateAsync();
        CoordinatorLog.JobSubmitted(services.Logger, JobId, spec.Name);
        submissions.Announce(JobId);
        StartRun(spec);
        return state.State.Clone();
    }

    public Task<Job?> Get() => Task.FromResult(Current?.Clone());

    public async Task<Job?> Cancel()
    {
        if (Current is not { } job)
        {
            return null;
        }
        if (job.State is JobState.Queued or JobState.WaitingForWorkers)
        {
            await ChangeState(JobState.Cancelled, "Cancelled before it started.");
            // Takes the job out of the queue now rather than when the queue next looks.
            _stop?.Cancel();
        }
        else if (job.State == JobState.Running)
        {
            _cancelRequested = true;
            _stop?.Cancel();
            Publish(new JobEvent { Message = "Cancel requested: stopping at the next step boundary." });
        }
        return job.Clone();
    }

    public async IAsyncEnumerable<JobEvent> Watch([EnumeratorCancellation] CancellationToken cancellation = default)
    {
        if (Current is not { } job)
        {
            yield break;
        }
        using var watch = new JobWatch();
        watch.Offer(new JobEvent { UnixMs = Now(), Snapshot = job.Clone() });
        // In the same turn as the snapshot and before the watch joins: its last step is the newest the grain applied,
        // and the live step events begin right after it, no step repeated or left out at the seam.
        if (_steps.Count > 0)
        {
            watch.Offer(new JobEvent { UnixMs = Now(), History = _steps.ToHistory() });
        }
        foreach (var message in _recentMessages.Oldest())
        {
            watch.Offer(message);
        }
        if (IsEnded(job.State))
        {
            watch.Complete();
        }
        else
        {
            _watchers.Add(watch);
        }
        while (await watch.ReadAsync(cancellation) is { } next)
        {
            yield return next;
        }
    }

    /// <summary>Queues a report from the run; it is applied in the grain's turn, after the reports posted before it.</summary>
    internal Task<T> Post<T>(Func<Task<T>> report)
    {
        var applied = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<Task> message = async () =>
        {
            try
            {
                applied.SetResult(await report());
            }
            catch (Exception failure)
            {
                applied.SetException(failure);
            }
        };
        if (!_reports.Writer.TryWrite(message))
        {
            applied.SetException(new ObjectDisposedException(nameof(JobGrain), $"Job {JobId}: the grain was deactivated."));
        }
        return applied.Task;
    }

    /// <summary>
    /// A job not running yet says what it waits for: QUEUED (free workers, or the job ahead in this process) or
    /// WAITING_FOR_WORKERS (too few registered), with <paramref name="message"/>. Ended jobs are unchanged.
    /// </summary>
    internal async Task<bool> Wait(JobState waiting, string message)
    {
        if (Current is not { } job || IsEnded(job.State) || (job.State == waiting && job.Message == message))
        {
            return false;
        }
        job.Progress.Workers = 0;
        if (job.State == waiting)
        {
            job.Message = message;
            await state.WriteStateAsync();
            Publish(new JobEvent { Message = message });
            return true;
        }
        await ChangeState(waiting, message);
        return true;
    }

    /// <summary>
    /// The job becomes RUNNING on <paramref name="workers"/> workers, <paramref name="message"/> saying where; returns
    /// the spec to train, or null when the job is not to run (it ended, e.g. cancelled while it waited).
    /// </summary>
    internal async Task<JobSpec?> Start(int workers, string message)
    {
        if (Current is not { } job || IsEnded(job.State))
        {
            return null;
        }
        bool resumed = job.StartedUnixMs != 0;
        job.StartedUnixMs = resumed ? job.StartedUnixMs : Now();
        job.Progress.Workers = workers;
        await ChangeState(JobState.Running, resumed ? $"Resumed after a coordinator restart. {message}" : message);
        return job.Spec.Clone();
    }

    /// <summary>
    /// A running job's ring changed, or a job that waited for workers mid-run (WAITING_FOR_WORKERS) has enough
    /// again: it is RUNNING on <paramref name="workers"/> workers, <paramref name="message"/> saying why.
    /// </summary>
    internal async Task<bool> Continue(int workers, string message)
    {
        if (Current is not { } job || IsEnded(job.State))
        {
            return false;
        }
        job.Progress.Workers = workers;
        if (job.State == JobState.Running)
        {
            job.Message = message;
            await state.WriteStateAsync();
            Publish(new JobEvent { Message = message });
            return true;
        }
        await ChangeState(JobState.Running, message);
        return true;
    }

    /// <summary>One optimizer step finished.</summary>
    internal void ReportStep(StepMetrics step)
    {
        if (Current is not { } job)
        {
            return;
        }
        job.Progress.Step = step.Step;
        job.Progress.Epoch = step.Epoch;
        job.Progress.SamplesDoneInEpoch = step.SamplesDoneInEpoch;
        job.Progress.SamplesPerEpoch = step.SamplesPerEpoch;
        if (step.SamplesPerEpoch > 0 && job.Spec.BatchSize > 0)
        {
            job.Progress.TotalSteps = (long)job.Spec.Epochs * ((step.SamplesPerEpoch + job.Spec.BatchSize - 1) / job.Spec.BatchSize);
        }
        _steps.Add(step);
        Publish(new JobEvent { Step = step });
    }

    /// <summary>One epoch finished and was evaluated; <paramref name="checkpoint"/> is the newest checkpoint, if any.</summary>
    internal async Task<bool> ReportEpoch(EpochMetrics epoch, string? checkpoint)
    {
        if (Current is not { } job)
        {
            return false;
        }
        // A run resumed from an older checkpoint (the newest was unreadable) reports those epochs again.
        foreach (var seen in job.Epochs.Where(seen => seen.Epoch >= epoch.Epoch).ToList())
        {
            job.Epochs.Remove(seen);
        }
        job.Epochs.Add(epoch);
        job.Progress.Epoch = epoch.Epoch;
        job.Progress.Step = epoch.Step;
        job.LastCheckpoint = checkpoint ?? job.LastCheckpoint;
        await state.WriteStateAsync();
        Publish(new JobEvent { Epoch = epoch });
        return true;
    }

    /// <summary>A notable event in words.</summary>
    internal void ReportEvent(string message) => Publish(new JobEvent { Message = message });

    /// <summary>The run ended in <paramref name="ended"/> (SUCCEEDED, FAILED or CANCELLED).</summary>
    internal async Task<bool> Finish(JobState ended, string message, JobResult? result, string? checkpoint)
    {
        if (Current is not { } job || IsEnded(job.State))
        {
            return false;
        }
        if (ended == JobState.Succeeded && _cancelRequested)
        {
            ended = JobState.Cancelled;
        }
        job.FinishedUnixMs = Now();
        job.Result = result;
        job.LastCheckpoint = checkpoint ?? job.LastCheckpoint;
        await ChangeState(ended, message);
        CoordinatorLog.JobEnded(services.Logger, JobId, ended, message);
        return true;
    }

    /// <summary>QUEUED, WAITING_FOR_WORKERS or RUNNING: a job a coordinator start resumes.</summary>
    internal static bool IsUnfinished(JobState state) => state is JobState.Queued or JobState.WaitingForWorkers or JobState.Running;

    internal static bool IsEnded(JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    private void StartRun(JobSpec spec)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(services.Shutdown.Token);
        var run = new JobRun(JobId, spec, new JobRunReports(this), services, _stop.Token);
        // Off the grain's scheduler: placing and training take minutes to hours; the grain keeps answering meanwhile.
        _run = Task.Factory.StartNew(run.RunAsync, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();
        services.Shutdown.Track(_run);
        DelayDeactivation(RunKeepAlive);
        _ = ForgetRunAsync(_run, _stop);
    }

    /// <summary>Awaits the run in the grain's context (not as a report: the run waits for its reports to be applied).</summary>
    private async Task ForgetRunAsync(Task run, CancellationTokenSource stop)
    {
        await run;
        stop.Dispose();
        if (_run == run)
        {
            (_stop, _run) = (null, null);
            // The run is over: the grain may be collected when idle, as any other.
            DelayDeactivation(TimeSpan.FromTicks(-1));
        }
    }

    private async Task ApplyReportsAsync()
    {
        while (await _reports.Reader.WaitToReadAsync())
        {
            while (_reports.Reader.TryRead(out var report))
            {
                await report();
            }
        }
    }

    private async Task ChangeState(JobState next, string message)
    {
        var job = Current!;
        job.State = next;
        job.Message = message;
        await state.WriteStateAsync();
        Publish(new JobEvent { State = next });
        if (message.Length > 0)
        {
            Publish(new JobEvent { Message = message });
        }
        if (IsEnded(next))
        {
            foreach (var watch in _watchers)
            {
                watch.Complete();
            }
            _watchers.Clear();
        }
    }

    private void Publish(JobEvent jobEvent)
    {
        if (jobEvent.UnixMs == 0)
        {
            jobEvent.UnixMs = Now();
        }
        _recentMessages.Add(jobEvent);
        _watchers.RemoveAll(watch => watch.IsDisposed);
        foreach (var watch in _watchers)
        {
            watch.Offer(jobEvent);
        }
    }

    private long Now() => services.Clock.GetUtcNow().ToUnixTimeMilliseconds();
}
