using System.Threading.Channels;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>
/// The one owner of job placement: places queued jobs, in the order they were queued, on the workers of the
/// <see cref="WorkerRegistry"/>:
/// <list type="bullet">
/// <item>a job whose spec has min_workers 0 while no worker is registered trains in this process, one such job at a
/// time (single-node use);</item>
/// <item>any other job needs max(1, min_workers) live workers: until they have registered it is
/// WAITING_FOR_WORKERS, while they are busy with other jobs it is QUEUED; then it leases up to max_workers free
/// workers (0: all), one job per worker.</item>
/// </list>
/// The queue is looked at again whenever a job is queued, cancelled or ends and whenever the registry changes, so a
/// job is placed as soon as its workers are there. The job grains run what it places.
/// </summary>
internal sealed class JobQueue : IDisposable
{
    private readonly object _gate = new();
    private readonly List<PendingJob> _pending = [];
    // One pending wake-up is enough: a dispatch looks at the whole queue.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _shutdown = new();
    private readonly WorkerRegistry _registry;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly IDisposable _queueDepth;
    private bool _localRunning;

    /// <param name="registry">The workers; its changes wake the queue.</param>
    /// <param name="logger">Receives placement failures.</param>
    public JobQueue(WorkerRegistry registry, ILogger logger)
    {
        _registry = registry;
        _logger = logger;
        _registry.Changed += Wake;
        _queueDepth = TrainingMetrics.TrackQueue("jobs.pending", PendingCount);
        _loop = Task.Run(DispatchLoopAsync);
    }

    /// <summary>
    /// Queues <paramref name="jobId"/> behind the jobs queued before it. While it waits, <paramref name="waiting"/>
    /// hears what for (QUEUED or WAITING_FOR_WORKERS, and a message); the task ends with its placement, which the
    /// caller disposes when the run ends, or is cancelled by <paramref name="stop"/>.
    /// </summary>
    public Task<JobPlacement> Enqueue(string jobId, JobSpec spec, Func<JobState, string, Task> waiting, CancellationToken stop)
    {
        var job = new PendingJob(jobId, spec, waiting);
        lock (_gate)
        {
            _pending.Add(job);
        }
        job.Cancellation = stop.Register(() =>
        {
            lock (_gate)
            {
                _pending.Remove(job);
            }
            job.Placed.TrySetCanceled(stop);
            Wake();
        });
        Wake();
        return job.Placed.Task;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _queueDepth.Dispose();
        _registry.Changed -= Wake;
        _shutdown.Cancel();
        _wake.Writer.TryComplete();
        _loop.GetAwaiter().GetResult();
        lock (_gate)
        {
            foreach (var job in _pending)
            {
                job.Placed.TrySetCanceled(_shutdown.Token);
            }
            _pending.Clear();
        }
        _shutdown.Dispose();
    }

    private long PendingCount()
    {
        lock (_gate)
        {
            return _pending.Count;
        }
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
                    await PlaceAsync(job);
                }
                catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    // The grain could not persist its state (a full or read-only disk); the queue goes on with the next job.
                    CoordinatorLog.JobFailed(_logger, job.JobId, failure);
                    Remove(job);
                    job.Placed.TrySetException(failure);
                }
            }
        }
    }

    /// <summary>Places <paramref name="job"/> when its workers (or the in-process slot) are free; else says what it waits for.</summary>
    private async Task PlaceAsync(PendingJob job)
    {
        if (job.Placed.Task.IsCompleted)
        {
            return;
        }
        int live = _registry.LiveCount;
        if (job.Spec.MinWorkers == 0 && live == 0)
        {
            bool placed = false;
            lock (_gate)
            {
                if (!_localRunning && _pending.Remove(job))
                {
                    _localRunning = true;
                    placed = true;
                }
            }
            if (placed)
            {
                Place(job, new JobPlacement(null, ReleaseLocal));
                return;
            }
            await job.Waiting(JobState.Queued, "Waiting for the job ahead of it in the coordinator process.");
            return;
        }
        int needed = Math.Max(1, job.Spec.MinWorkers);
        if (live < needed)
        {
            await job.Waiting(JobState.WaitingForWorkers, $"waiting for workers: {live} of {needed} registered");
            return;
        }
        if (_registry.TryLease(job.JobId, needed, job.Spec.MaxWorkers) is not { } lease)
        {
            await job.Waiting(JobState.Queued, $"waiting for free workers: {_registry.FreeCount} of {needed} free, the others run other jobs");
            return;
        }
        bool queued;
        lock (_gate)
        {
            queued = _pending.Remove(job);
        }
        if (queued)
        {
            Place(job, new JobPlacement(lease, Wake));
        }
        else
        {
            // Cancelled between the look and the lease.
            lease.Dispose();
        }
    }

    /// <summary>Hands the placement to the job's run; called outside the gate (disposing the cancellation registration waits for its callback, which takes the gate).</summary>
    private static void Place(PendingJob job, JobPlacement placement)
    {
        job.Cancellation.Dispose();
        if (!job.Placed.TrySetResult(placement))
        {
            placement.Dispose();
        }
    }

    private void ReleaseLocal()
    {
        lock (_gate)
        {
            _localRunning = false;
        }
        Wake();
    }

    private void Remove(PendingJob job)
    {
        lock (_gate)
        {
            _pending.Remove(job);
        }
        job.Cancellation.Dispose();
    }

    private sealed record PendingJob(string JobId, JobSpec Spec, Func<JobState, string, Task> Waiting)
    {
        public TaskCompletionSource<JobPlacement> Placed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Cancellation { get; set; }
    }
}
