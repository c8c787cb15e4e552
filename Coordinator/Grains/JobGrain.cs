using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Protos.V1;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// The state machine of one job: QUEUED ⇄ WAITING_FOR_WORKERS → RUNNING → SUCCEEDED | FAILED | CANCELLED (a
/// coordinator restart takes RUNNING back to waiting until its workers return). It keeps the job's status,
/// persists it on every state change, epoch and checkpoint, and fans events out to its watchers. Only the grain
/// host calls it, one message at a time.
/// </summary>
internal sealed class JobGrain(string jobId, IGrainStorage<Job> storage, JobStopSignals stopSignals, TimeProvider clock, ILogger logger)
    : IJobGrain
{
    private readonly List<JobWatch> _watchers = [];
    private Job? _job;
    private bool _cancelRequested;

    /// <summary>Loads the stored state; the host calls it before the first message.</summary>
    public async Task Activate() => _job = await storage.ReadAsync(jobId);

    public async Task<Job> Submit(JobSpec spec)
    {
        if (_job is not null)
        {
            throw new InvalidOperationException($"Job {jobId} already exists.");
        }
        _job = new Job { JobId = jobId, Spec = spec.Clone(), State = JobState.Queued, CreatedUnixMs = Now(), Message = "Waiting for the jobs ahead of it." };
        _job.Progress = new JobProgress { Epochs = spec.Epochs };
        await storage.WriteAsync(jobId, _job);
        CoordinatorLog.JobSubmitted(logger, jobId, spec.Name);
        return _job.Clone();
    }

    public Task<Job?> Get() => Task.FromResult(_job?.Clone());

    public async Task<Job?> Cancel()
    {
        if (_job is null)
        {
            return null;
        }
        if (_job.State is JobState.Queued or JobState.WaitingForWorkers)
        {
            await ChangeState(JobState.Cancelled, "Cancelled before it started.");
            // Tells the scheduler to drop the job from its queue now rather than when it next looks.
            stopSignals.Stop(jobId);
        }
        else if (_job.State == JobState.Running)
        {
            _cancelRequested = true;
            stopSignals.Stop(jobId);
            Publish(new JobEvent { Message = "Cancel requested: stopping at the next step boundary." });
        }
        return _job.Clone();
    }

    public Task<JobWatch?> Watch()
    {
        if (_job is null)
        {
            return Task.FromResult<JobWatch?>(null);
        }
        var watch = new JobWatch();
        watch.Offer(new JobEvent { UnixMs = Now(), Snapshot = _job.Clone() });
        if (IsEnded(_job.State))
        {
            watch.Complete();
        }
        else
        {
            _watchers.Add(watch);
        }
        return Task.FromResult<JobWatch?>(watch);
    }

    public async Task Wait(JobState state, string message)
    {
        if (_job is null || IsEnded(_job.State) || (_job.State == state && _job.Message == message))
        {
            return;
        }
        _job.Progress.Workers = 0;
        if (_job.State == state)
        {
            _job.Message = message;
            await storage.WriteAsync(jobId, _job);
            Publish(new JobEvent { Message = message });
            return;
        }
        await ChangeState(state, message);
    }

    public async Task<JobSpec?> Start(int workers, string message)
    {
        if (_job is null || IsEnded(_job.State))
        {
            return null;
        }
        bool resumed = _job.StartedUnixMs != 0;
        _job.StartedUnixMs = resumed ? _job.StartedUnixMs : Now();
        _job.Progress.Workers = workers;
        await ChangeState(JobState.Running, resumed ? $"Resumed after a coordinator restart. {message}" : message);
        return _job.Spec.Clone();
    }

    public async Task Continue(int workers, string message)
    {
        if (_job is null || IsEnded(_job.State))
        {
            return;
        }
        _job.Progress.Workers = workers;
        if (_job.State == JobState.Running)
        {
            _job.Message = message;
            await storage.WriteAsync(jobId, _job);
            Publish(new JobEvent { Message = message });
            return;
        }
        await ChangeState(JobState.Running, message);
    }

    public Task ReportStep(StepMetrics step)
    {
        if (_job is null)
        {
            return Task.CompletedTask;
        }
        _job.Progress.Step = step.Step;
        _job.Progress.Epoch = step.Epoch;
        _job.Progress.SamplesDoneInEpoch = step.SamplesDoneInEpoch;
        _job.Progress.SamplesPerEpoch = step.SamplesPerEpoch;
        if (step.SamplesPerEpoch > 0 && _job.Spec.BatchSize > 0)
        {
            _job.Progress.TotalSteps = (long)_job.Spec.Epochs * ((step.SamplesPerEpoch + _job.Spec.BatchSize - 1) / _job.Spec.BatchSize);
        }
        Publish(new JobEvent { Step = step });
        return Task.CompletedTask;
    }

    public async Task ReportEpoch(EpochMetrics epoch, string? checkpoint)
    {
        if (_job is null)
        {
            return;
        }
        // A run resumed from an older checkpoint (the newest was unreadable) reports those epochs again.
        var repeated = _job.Epochs.Where(seen => seen.Epoch >= epoch.Epoch).ToList();
        foreach (var seen in repeated)
        {
            _job.Epochs.Remove(seen);
        }
        _job.Epochs.Add(epoch);
        _job.Progress.Epoch = epoch.Epoch;
        _job.Progress.Step = epoch.Step;
        _job.LastCheckpoint = checkpoint ?? _job.LastCheckpoint;
        await storage.WriteAsync(jobId, _job);
        Publish(new JobEvent { Epoch = epoch });
    }

    public Task ReportEvent(string message)
    {
        Publish(new JobEvent { Message = message });
        return Task.CompletedTask;
    }

    public async Task Finish(JobState state, string message, JobResult? result, string? checkpoint)
    {
        if (_job is null || IsEnded(_job.State))
        {
            return;
        }
        if (state == JobState.Succeeded && _cancelRequested)
        {
            state = JobState.Cancelled;
        }
        _job.FinishedUnixMs = Now();
        _job.Result = result;
        _job.LastCheckpoint = checkpoint ?? _job.LastCheckpoint;
        await ChangeState(state, message);
        CoordinatorLog.JobEnded(logger, jobId, state, message);
    }

    private async Task ChangeState(JobState state, string message)
    {
        _job!.State = state;
        _job.Message = message;
        await storage.WriteAsync(jobId, _job);
        Publish(new JobEvent { State = state });
        if (message.Length > 0)
        {
            Publish(new JobEvent { Message = message });
        }
        if (IsEnded(state))
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
        _watchers.RemoveAll(watch => watch.IsDisposed);
        foreach (var watch in _watchers)
        {
            watch.Offer(jobEvent);
        }
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    internal static bool IsEnded(JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
