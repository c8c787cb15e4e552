using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;

namespace DistributedTrainer.Coordinator.Sweeps;

/// <summary>
/// The sweep grain: samples trials (<see cref="ITrialSampler"/>), submits each as an ordinary job (a job grain, placed
/// by the job queue on the shared workers), follows each job's epochs through the job grain's own watch, gives them
/// to the scheduler (<see cref="ITrialScheduler"/>) and cancels the trials it stops, with the reason as an event.
/// Every change is persisted before it acts: a trial's job id is stored before the job is submitted, and the
/// scheduler's reports are stored in order and replayed on activation, so a coordinator restarted mid-sweep resumes it
/// (the trials' jobs resume from their checkpoints) without losing or repeating a trial. Followers post what they see
/// to one channel that the grain applies in order, in its own turns.
/// </summary>
internal sealed class SweepGrain(
    [PersistentState("sweep", JobGrainsSilo.SweepStorageName)] IPersistentState<Sweep> state, JobRunServices services)
    : Grain, ISweepGrain, IDisposable
{
    private static readonly TimeSpan RunKeepAlive = TimeSpan.FromDays(3650);
    private static readonly TimeSpan FollowRetryDelay = TimeSpan.FromSeconds(1);
    private readonly List<SweepWatch> _watchers = [];
    private readonly Channel<TrialUpdate> _updates = Channel.CreateUnbounded<TrialUpdate>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private SweepPlan? _plan;
    private ITrialSampler? _sampler;
    private ITrialScheduler? _scheduler;

    private string SweepId => this.GetPrimaryKeyString();

    private Sweep? Current => state.RecordExists ? state.State : null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Current is { State: SweepState.SweepRunning } sweep)
        {
            Prepare(sweep);
            // Left running by the last coordinator: replay the scheduler's reports, follow the running trials again.
            foreach (var report in sweep.Reports)
            {
                _scheduler!.Report(report.Trial, report.Epoch, report.Value);
            }
            Start(resume: true);
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _stop.Cancel();
        _updates.Writer.TryComplete();
        foreach (var watch in _watchers)
        {
            watch.Complete();
        }
        return Task.CompletedTask;
    }

    public void Dispose() => _stop.Dispose();

    public async Task<Sweep> Submit(SweepSpec spec)
    {
        if (Current is not null)
        {
            throw new InvalidOperationException($"Sweep {SweepId} already exists.");
        }
        state.State = new Sweep
        {
            SweepId = SweepId,
            Spec = spec.Clone(),
            State = SweepState.SweepRunning,
            CreatedUnixMs = Now(),
            Message = "Starting the first trials.",
        };
        Prepare(state.State);
        await state.WriteStateAsync();
        CoordinatorLog.SweepSubmitted(services.Logger, SweepId, spec.Name, _plan!.MaxTrials, _plan.MaxConcurrentTrials);
        Start(resume: false);
        return state.State.Clone();
    }

    public Task<Sweep?> Get() => Task.FromResult(Current?.Clone());

    public async Task<Sweep?> Cancel()
    {
        if (Current is not { } sweep)
        {
            return null;
        }
        if (sweep.State == SweepState.SweepRunning && !sweep.CancelRequested)
        {
            sweep.CancelRequested = true;
            await state.WriteStateAsync();
            Publish(new SweepEvent { Message = "Cancel requested: no more trials start; the running ones are cancelled." });
            _updates.Writer.TryWrite(new TrialUpdate(-1, null, null));
        }
        return sweep.Clone();
    }

    public async IAsyncEnumerable<SweepEvent> Watch([EnumeratorCancellation] CancellationToken cancellation = default)
    {
        if (Current is not { } sweep)
        {
            yield break;
        }
        using var watch = new SweepWatch();
        watch.Offer(new SweepEvent { UnixMs = Now(), Snapshot = sweep.Clone() });
        if (sweep.State == SweepState.SweepRunning)
        {
            _watchers.Add(watch);
        }
        else
        {
            watch.Complete();
        }
        while (await watch.ReadAsync(cancellation) is { } next)
        {
            yield return next;
        }
    }

    private void Prepare(Sweep sweep)
    {
        _plan = SweepSpecValidator.Plan(sweep.Spec, JobLimits.Default);
        _sampler = _plan.CreateSampler();
        _scheduler = _plan.CreateScheduler();
    }

    private void Start(bool resume)
    {
        DelayDeactivation(RunKeepAlive);
        // Started in the grain's turn, so every await of the loop continues on the grain's scheduler, between its calls.
        _ = RunAsync(resume);
    }

    private async Task RunAsync(bool resume)
    {
        var sweep = Current!;
        if (resume)
        {
            foreach (var trial in sweep.Trials.Where(trial => trial.State == TrialState.TrialRunning))
            {
                var job = Jobs(trial.JobId);
                if (await job.Get() is null)
                {
                    // Stored, but the coordinator stopped before the job was submitted: submit it now, once.
                    await job.Submit(_plan!.TrialSpec(trial.Number, [.. trial.Parameters.Select(parameter => parameter.Value)]));
                }
                else if (trial.Message.Length > 0 || sweep.CancelRequested)
                {
                    // Stopped before the restart, but the cancel may not have reached the job.
                    await job.Cancel();
                }
                Follow(trial);
            }
        }
        await StartTrialsAsync();
        while (sweep.State == SweepState.SweepRunning && await _updates.Reader.WaitToReadAsync())
        {
            while (_updates.Reader.TryRead(out var update))
            {
                await ApplyAsync(update);
            }
            await StartTrialsAsync();
        }
    }

    /// <summary>Starts trials while there are free slots and trials left, then ends the sweep when nothing runs.</summary>
    private async Task StartTrialsAsync()
    {
        var sweep = Current!;
        if (sweep.State != SweepState.SweepRunning)
        {
            return;
        }
        var plan = _plan!;
        bool FailedOut() => plan.MaxFailedTrials > 0 && sweep.Trials.Count(trial => trial.State == TrialState.TrialFailed) > plan.MaxFailedTrials;
        while (!sweep.CancelRequested && !FailedOut() && sweep.Trials.Count < plan.MaxTrials && Running(sweep) < plan.MaxConcurrentTrials)
        {
            int number = sweep.Trials.Count;
            if (sweep.Trials.Take(_sampler!.TrialsNeededBefore(number)).Any(trial => trial.State == TrialState.TrialRunning))
            {
                // The sampler learns from those trials; waiting for them keeps the trials the same whatever the timing.
                break;
            }
            var point = _sampler.Sample(number, Observations(sweep));
            var trial = new Trial { Number = number, JobId = JobIds.New(), State = TrialState.TrialRunning, StartedUnixMs = Now() };
            trial.Parameters.AddRange(plan.Parameters.Select((parameter, i) => new ParameterValue { Path = parameter.Path.Text, Value = point[i].Clone() }));
            sweep.Trials.Add(trial);
            sweep.Message = $"{Running(sweep)} trials running, {sweep.Trials.Count} of {plan.MaxTrials} started.";
            // Stored before the job exists: a restart from here submits this job, never a second one.
            await state.WriteStateAsync();
            try
            {
                await Jobs(trial.JobId).Submit(plan.TrialSpec(number, point));
            }
            catch (Exception failure) when (failure is ArgumentException or InvalidOperationException or IOException)
            {
                // A point its field refuses, or a job store that cannot write: the trial fails, the sweep goes on.
                trial.State = TrialState.TrialFailed;
                trial.Message = $"Not submitted: {failure.Message}";
                trial.FinishedUnixMs = Now();
                await state.WriteStateAsync();
                Publish(new SweepEvent { Trial = trial.Clone() });
                continue;
            }
            string started = "started: " + Describe(trial);
            CoordinatorLog.SweepTrialEvent(services.Logger, SweepId, number, trial.JobId, started);
            Publish(new SweepEvent { Trial = trial.Clone() });
            Follow(trial);
        }
        bool failedOut = FailedOut();
        if (Running(sweep) == 0 && (sweep.CancelRequested || failedOut || sweep.Trials.Count >= plan.MaxTrials))
        {
            int failed = sweep.Trials.Count(trial => trial.State == TrialState.TrialFailed);
            var ended = sweep.CancelRequested ? SweepState.SweepCancelled : failedOut ? SweepState.SweepFailed : SweepState.SweepSucceeded;
            await FinishAsync(ended, failedOut ? $"{failed} trials failed, more than max_failed_trials {plan.MaxFailedTrials}. {Summary(sweep)}" : Summary(sweep));
        }
    }

    private async Task ApplyAsync(TrialUpdate update)
    {
        var sweep = Current!;
        if (update.Trial < 0)
        {
            // A cancel: stop every running trial's job.
            foreach (var running in sweep.Trials.Where(trial => trial.State == TrialState.TrialRunning))
            {
                await Jobs(running.JobId).Cancel();
            }
            return;
        }
        var trial = sweep.Trials[update.Trial];
        if (trial.State != TrialState.TrialRunning)
        {
            return;
        }
        if (update.Epoch is { } epoch)
        {
            await ApplyEpochAsync(sweep, trial, epoch);
        }
        else if (update.Ended is { } job)
        {
            foreach (var epochMetrics in job.Epochs)
            {
                await ApplyEpochAsync(sweep, trial, epochMetrics);
            }
            trial.State = job.State switch
            {
                JobState.Succeeded => TrialState.TrialSucceeded,
                JobState.Failed => TrialState.TrialFailed,
                _ => trial.Message.Length > 0 ? TrialState.TrialStopped : TrialState.TrialCancelled,
            };
            if (trial.State is TrialState.TrialFailed or TrialState.TrialCancelled)
            {
                trial.Message = job.Message;
            }
            trial.FinishedUnixMs = Now();
            sweep.Message = $"{Running(sweep)} trials running, {sweep.Trials.Count} of {_plan!.MaxTrials} started.";
            await state.WriteStateAsync();
            string outcome = $"{trial.State}: {Objective(trial)} after {trial.EpochsRun} epochs" + (trial.Message.Length > 0 ? $" ({trial.Message})" : "");
            CoordinatorLog.SweepTrialEvent(services.Logger, SweepId, trial.Number, trial.JobId, outcome);
            Publish(new SweepEvent { Trial = trial.Clone() });
        }
    }

    private async Task ApplyEpochAsync(Sweep sweep, Trial trial, EpochMetrics epoch)
    {
        // A watch starts with the job's snapshot, which repeats the epochs already applied.
        if (epoch.Epoch <= trial.EpochsRun)
        {
            return;
        }
        var plan = _plan!;
        trial.EpochsRun = epoch.Epoch;
        double? value = plan.Objective.Read(epoch);
        trial.Objectives.Add(value ?? double.NaN);
        string? reason = null;
        if (value is { } objective)
        {
            trial.Objective = objective;
            if (!sweep.HasBestTrial || plan.Objective.IsBetter(objective, sweep.Trials[sweep.BestTrial].Objective))
            {
                sweep.BestTrial = trial.Number;
            }
            if (trial.Message.Length == 0)
            {
                sweep.Reports.Add(new SchedulerReport { Trial = trial.Number, Epoch = epoch.Epoch, Value = objective });
                reason = _scheduler!.Report(trial.Number, epoch.Epoch, objective);
                trial.Message = reason ?? "";
            }
        }
        await state.WriteStateAsync();
        Publish(new SweepEvent { Trial = trial.Clone() });
        if (reason is not null)
        {
            string message = $"Trial {trial.Number} {reason}";
            CoordinatorLog.SweepTrialEvent(services.Logger, SweepId, trial.Number, trial.JobId, reason);
            Publish(new SweepEvent { Message = message });
            await Jobs(trial.JobId).Cancel();
        }
    }

    private async Task FinishAsync(SweepState ended, string message)
    {
        var sweep = Current!;
        sweep.State = ended;
        sweep.Message = message;
        sweep.FinishedUnixMs = Now();
        await state.WriteStateAsync();
        CoordinatorLog.SweepEnded(services.Logger, SweepId, ended, message);
        Publish(new SweepEvent { State = ended });
        Publish(new SweepEvent { Message = message });
        foreach (var watch in _watchers)
        {
            watch.Complete();
        }
        _watchers.Clear();
        // Nothing left to run: the grain may be collected when idle.
        DelayDeactivation(TimeSpan.FromTicks(-1));
    }

    /// <summary>Follows a trial's job through its grain's watch, posting its epochs and its end; retries a lost watch.</summary>
    private void Follow(Trial trial)
    {
        int number = trial.Number;
        var job = Jobs(trial.JobId);
        var stop = _stop.Token;
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await foreach (var jobEvent in job.Watch(stop))
                    {
                        if (jobEvent.Epoch is { } epoch)
                        {
                            _updates.Writer.TryWrite(new TrialUpdate(number, epoch, null));
                        }
                    }
                    if (await job.Get() is { } ended && JobGrain.IsEnded(ended.State))
                    {
                        _updates.Writer.TryWrite(new TrialUpdate(number, null, ended));
                        return;
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception failure) when (!stop.IsCancellationRequested)
                {
                    CoordinatorLog.SweepFollowRetry(services.Logger, SweepId, number, trial.JobId, failure);
                }
                await Task.Delay(FollowRetryDelay, services.Clock, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }, CancellationToken.None);
    }

    private IJobGrain Jobs(string jobId) => GrainFactory.GetGrain<IJobGrain>(jobId);

    private static int Running(Sweep sweep) => sweep.Trials.Count(trial => trial.State == TrialState.TrialRunning);

    private static List<TrialObservation> Observations(Sweep sweep) =>
    [
        .. sweep.Trials
            .Where(trial => trial.State != TrialState.TrialRunning && trial.HasObjective)
            .Select(trial => new TrialObservation(trial.Number, [.. trial.Parameters.Select(parameter => parameter.Value)], trial.Objective)),
    ];

    private string Summary(Sweep sweep)
    {
        var counts = sweep.Trials.GroupBy(trial => trial.State).Select(group => $"{group.Count()} {StateWord(group.Key)}");
        string best = sweep.HasBestTrial
            ? $"; best trial {sweep.BestTrial}: {_plan!.Objective.Metric} {Objective(sweep.Trials[sweep.BestTrial])}"
            : "";
        return $"{sweep.Trials.Count} trials: {string.Join(", ", counts)}{best}.";
    }

    private static string StateWord(TrialState state) => state switch
    {
        TrialState.TrialSucceeded => "succeeded",
        TrialState.TrialStopped => "stopped early",
        TrialState.TrialFailed => "failed",
        TrialState.TrialCancelled => "cancelled",
        _ => "running",
    };

    private static string Objective(Trial trial) => trial.HasObjective ? trial.Objective.ToString("0.####", CultureInfo.InvariantCulture) : "none";

    private static string Describe(Trial trial) =>
        string.Join(", ", trial.Parameters.Select(parameter => $"{parameter.Path}={FieldValues.Format(parameter.Value)}"));

    private void Publish(SweepEvent sweepEvent)
    {
        if (sweepEvent.UnixMs == 0)
        {
            sweepEvent.UnixMs = Now();
        }
        _watchers.RemoveAll(watch => watch.IsDisposed);
        foreach (var watch in _watchers)
        {
            watch.Offer(sweepEvent);
        }
    }

    private long Now() => services.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>What a follower saw: an epoch, or the job's end (<see cref="Trial"/> -1: a cancel to pass on).</summary>
    private sealed record TrialUpdate(int Trial, EpochMetrics? Epoch, Job? Ended);
}
