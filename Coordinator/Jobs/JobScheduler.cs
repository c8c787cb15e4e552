using System.Threading.Channels;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>
/// Places queued jobs, in the order they were queued, and runs them with <see cref="Trainer"/>:
/// <list type="bullet">
/// <item>a job whose spec has min_workers 0 while no worker is registered trains in this process, one such job at a
/// time (single-node use);</item>
/// <item>any other job needs max(1, min_workers) live workers: until they have registered it is
/// WAITING_FOR_WORKERS, while they are busy with other jobs it is QUEUED; then it leases up to max_workers free
/// workers (0: all), one job per worker, and trains through the cluster backend on them.</item>
/// </list>
/// The queue is looked at again whenever a job is queued, cancelled or ends and whenever the worker registry
/// changes, so a job starts as soon as its workers are there. A run resumes from the job's newest readable
/// checkpoint when it has one (after a coordinator restart). On shutdown running jobs stop at a step boundary with a
/// checkpoint and stay RUNNING, to be queued again at the next start.
/// </summary>
internal sealed class JobScheduler : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<PendingJob> _pending = [];
    private readonly HashSet<Task> _runs = [];
    // One pending wake-up is enough: a dispatch looks at the whole queue.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _shutdown = new();
    private readonly JobGrainHost _grains;
    private readonly JobStopSignals _stopSignals;
    private readonly WorkerRegistry _registry;
    private readonly ClusterBackendFactory _clusterBackends;
    private readonly CoordinatorPaths _paths;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly IDisposable _queueDepth;
    private bool _localRunning;

    /// <param name="grains">The job grains.</param>
    /// <param name="stopSignals">Where grains ask runs to stop; the scheduler registers every queued job there.</param>
    /// <param name="registry">The workers; its changes wake the queue.</param>
    /// <param name="clusterBackends">Builds the backend of a job that runs on workers.</param>
    /// <param name="paths">The state directory.</param>
    /// <param name="logger">Job started, resumed, ended and failed messages.</param>
    public JobScheduler(JobGrainHost grains, JobStopSignals stopSignals, WorkerRegistry registry,
        ClusterBackendFactory clusterBackends, CoordinatorPaths paths, ILogger logger)
    {
        _grains = grains;
        _stopSignals = stopSignals;
        _registry = registry;
        _clusterBackends = clusterBackends;
        _paths = paths;
        _logger = logger;
        _registry.Changed += Wake;
        _queueDepth = TrainingMetrics.TrackQueue("jobs.pending", PendingCount);
        _loop = Task.Run(DispatchLoopAsync);
    }

    private long PendingCount()
    {
        lock (_gate)
        {
            return _pending.Count;
        }
    }

    /// <summary>Queues <paramref name="jobId"/>; <paramref name="input"/> is its already loaded data, if the caller has it.</summary>
    public void Enqueue(string jobId, JobSpec spec, JobInput? input = null)
    {
        var stop = new CancellationTokenSource();
        // Registered while the job waits too, so a cancel finds it whether it waits or runs, and wakes the queue.
        _stopSignals.Register(jobId, stop);
        stop.Token.Register(Wake);
        lock (_gate)
        {
            _pending.Add(new PendingJob(jobId, spec, input, stop));
        }
        Wake();
    }

    public async ValueTask DisposeAsync()
    {
        _queueDepth.Dispose();
        _registry.Changed -= Wake;
        await _shutdown.CancelAsync();
        _wake.Writer.TryComplete();
        await _loop;
        Task[] runs;
        lock (_gate)
        {
            runs = [.. _runs];
        }
        await Task.WhenAll(runs);
        foreach (var job in _pending)
        {
            _stopSignals.Unregister(job.JobId);
            job.Stop.Dispose();
        }
        _shutdown.Dispose();
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task DispatchLoopAsync()
    {
        while (await _wake.Reader.WaitToReadAsync() && !_shutdown.IsCancellationRequested)
        {
            _wake.Reader.TryRead(out _);
            List<PendingJob> pending;
            lock (_gate)
            {
                pending = [.. _pending];
            }
            foreach (var job in pending)
            {
                if (_shutdown.IsCancellationRequested)
                {
                    return;
                }
                try
                {
                    await PlaceAsync(job, _grains.GetGrain(job.JobId));
                }
                catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    // The grain could not persist its state (a full or read-only disk); the queue goes on with the next job.
                    CoordinatorLog.JobFailed(_logger, job.JobId, failure);
                    Forget(job);
                }
            }
        }
    }

    /// <summary>Starts <paramref name="job"/> when its workers (or the in-process slot) are free; else says what it waits for.</summary>
    private async Task PlaceAsync(PendingJob job, IJobGrain grain)
    {
        if (job.Stop.IsCancellationRequested)
        {
            // Cancelled while queued. A job recovered as RUNNING after a restart reaches its end state only here.
            Forget(job);
            await grain.Finish(JobState.Cancelled, "Cancelled before it started.", null, null);
            return;
        }
        int live = _registry.LiveCount;
        if (job.Spec.MinWorkers == 0 && live == 0)
        {
            lock (_gate)
            {
                if (!_localRunning)
                {
                    _localRunning = true;
                    _pending.Remove(job);
                    StartRun(job, grain, lease: null);
                    return;
                }
            }
            await grain.Wait(JobState.Queued, "Waiting for the job ahead of it in the coordinator process.");
            return;
        }
        int needed = Math.Max(1, job.Spec.MinWorkers);
        if (live < needed)
        {
            await grain.Wait(JobState.WaitingForWorkers, $"waiting for workers: {live} of {needed} registered");
            return;
        }
        if (_registry.TryLease(job.JobId, needed, job.Spec.MaxWorkers) is not { } lease)
        {
            await grain.Wait(JobState.Queued, $"waiting for free workers: {_registry.FreeCount} of {needed} free, the others run other jobs");
            return;
        }
        lock (_gate)
        {
            _pending.Remove(job);
            StartRun(job, grain, lease);
        }
    }

    /// <summary>Starts the run; called under the gate, so <see cref="DisposeAsync"/> sees every run it has to wait for.</summary>
    private void StartRun(PendingJob job, IJobGrain grain, WorkerLease? lease)
    {
        var run = Task.Run(() => RunAsync(job, grain, lease));
        _runs.Add(run);
        _ = run.ContinueWith(ended =>
        {
            lock (_gate)
            {
                _runs.Remove(ended);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Forget(PendingJob job)
    {
        lock (_gate)
        {
            _pending.Remove(job);
        }
        _stopSignals.Unregister(job.JobId);
        job.Stop.Dispose();
    }

    private async Task RunAsync(PendingJob job, IJobGrain grain, WorkerLease? lease)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(job.Stop.Token, _shutdown.Token);
        try
        {
            string where = lease is null
                ? "Training in the coordinator process."
                : $"Running on {string.Join(", ", lease.Workers.Select(worker => worker.Id))}.";
            if (await grain.Start(lease?.Workers.Count ?? 1, where) is { } spec)
            {
                if (lease is not null)
                {
                    string workers = string.Join(", ", lease.Workers.Select(worker => $"{worker.Id} ({worker.Address})"));
                    CoordinatorLog.JobPlaced(_logger, job.JobId, workers);
                }
                await TrainAsync(job.JobId, grain, spec, job.Input, lease, stop.Token);
            }
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // The grain could not persist its state; the queue goes on with the next job.
            CoordinatorLog.JobFailed(_logger, job.JobId, failure);
        }
        finally
        {
            _stopSignals.Unregister(job.JobId);
            job.Stop.Dispose();
            if (lease is null)
            {
                lock (_gate)
                {
                    _localRunning = false;
                }
            }
            // Releasing the workers wakes the queue through the registry.
            lease?.Dispose();
            Wake();
        }
    }

    /// <summary>
    /// Trains <paramref name="spec"/> to its end state. A worker that fails is dropped by the cluster backend, which
    /// re-runs the step on the others (waiting for workers when fewer than min_workers are left); a
    /// <see cref="WorkerFailedException"/> that still reaches here (no worker left to re-run on) ends the job FAILED
    /// naming the worker, its rank and the step. Damaged checkpoints skipped on resume are reported as events.
    /// </summary>
    private async Task TrainAsync(string jobId, IJobGrain grain, JobSpec spec, JobInput? input, WorkerLease? lease, CancellationToken stop)
    {
        string jobDirectory = _paths.JobDirectory(jobId);
        string checkpoints = _paths.CheckpointDirectory(jobId);
        CoordinatorLog.JobStarted(_logger, jobId);
        try
        {
            var loaded = input ?? await Task.Run(() => JobInput.FromSpec(spec), stop);
            string? resumeFrom = null;
            if (Directory.Exists(checkpoints))
            {
                var latest = new CheckpointStore(checkpoints).LoadLatest();
                foreach (var skipped in latest.Skipped)
                {
                    await grain.ReportEvent($"Checkpoint {Path.GetFileName(skipped.Directory)} is damaged and was skipped: {skipped.Reason}");
                }
                resumeFrom = latest.Directory;
            }
            if (resumeFrom is not null)
            {
                string checkpointName = Path.GetFileName(resumeFrom);
                CoordinatorLog.JobResuming(_logger, jobId, checkpointName);
                await grain.ReportEvent($"Resuming from checkpoint {checkpointName}");
            }
            Func<Model, IGradientBackend>? backend = lease is null
                ? null
                : model => _clusterBackends(jobId, loaded.Spec, loaded.Data, model, new LeasedWorkerPool(_registry, lease, loaded.Spec, grain),
                    message => _ = grain.ReportEvent(message));
            // A local run computes on this thread for hours: a dedicated thread, not one of the pool's.
            var summary = await Task.Factory.StartNew(async () =>
            {
                using var trainer = backend is null
                    ? Trainer.Create(loaded.Spec, loaded.Data, checkpoints, resumeFrom)
                    : Trainer.Create(loaded.Spec, loaded.Data, backend, checkpoints, resumeFrom);
                trainer.JobId = jobId;
                using var tensorBoard = new TensorBoardObserver(Path.Combine(jobDirectory, RunOutputs.TensorBoardDirectory), trainer.Model.Store);
                return await trainer.RunAsync(new GrainReportingObserver(grain, jobDirectory, checkpoints, spec.Name, tensorBoard), cancellation: stop);
            }, stop, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            string? checkpoint = summary.Checkpoint is null ? null : Path.GetFileName(summary.Checkpoint);
            await grain.Finish(JobState.Succeeded,
                $"Test accuracy {summary.TestAccuracy:P2} after {summary.Epochs} epochs.", JobMetrics.FromSummary(summary), checkpoint);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            CoordinatorLog.JobInterrupted(_logger, jobId);
        }
        catch (OperationCanceledException)
        {
            await grain.Finish(JobState.Cancelled, "Cancelled; the last checkpoint holds the state at the stop.", null,
                GrainReportingObserver.NewestCheckpoint(checkpoints));
        }
        catch (JobInputException invalid)
        {
            await grain.Finish(JobState.Failed, invalid.Message, null, null);
        }
        catch (WorkerFailedException lost)
        {
            // The seam for elastic recovery: here the step can be re-run on the surviving workers instead.
            CoordinatorLog.JobLostWorker(_logger, jobId, lost.WorkerId, lost.Step, lost);
            await grain.Finish(JobState.Failed, lost.Message, null, GrainReportingObserver.NewestCheckpoint(checkpoints));
        }
        catch (Exception failure)
        {
            // Whatever went wrong belongs to this job; the queue goes on with the next one.
            CoordinatorLog.JobFailed(_logger, jobId, failure);
            await grain.Finish(JobState.Failed, failure.Message, null, GrainReportingObserver.NewestCheckpoint(checkpoints));
        }
    }

    private sealed record PendingJob(string JobId, JobSpec Spec, JobInput? Input, CancellationTokenSource Stop);
}
