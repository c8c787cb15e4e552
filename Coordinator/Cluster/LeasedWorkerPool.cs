using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A job's workers as the registry leases them: a failed worker leaves the lease (and the registry, when its
/// process is gone), workers that register while the job runs join up to max_workers, and with fewer than
/// min_workers left the job shows WAITING_FOR_WORKERS until enough are back, then RUNNING again.
/// </summary>
/// <remarks>
/// A worker dropped while alive (it missed a deadline or refused a call) is not leased to this job again while the job
/// has min_workers without it: it would most likely fail the next step too. It is free for other jobs. Below
/// min_workers it may be leased again rather than leave the job waiting for good (e.g. a worker that was blamed for a
/// step cut short by a coordinator restart).
/// </remarks>
internal sealed class LeasedWorkerPool(WorkerRegistry registry, WorkerLease lease, JobSpec spec, IJobWorkersObserver observer) : IWorkerPool
{
    private readonly HashSet<string> _excluded = new(StringComparer.Ordinal);

    public IReadOnlyList<WorkerEndpoint> Workers => lease.Workers;

    public int Minimum => Math.Max(1, spec.MinWorkers);

    public async Task<bool> DropAsync(WorkerEndpoint worker, bool gone, CancellationToken cancellationToken)
    {
        if (!gone)
        {
            _excluded.Add(worker.Id);
        }
        registry.Drop(lease, worker, gone);
        if (lease.Workers.Count >= Minimum)
        {
            await observer.Running(lease.Workers.Count, $"Running on {Names()} after losing {worker.Id}.");
            return true;
        }
        bool waited = false;
        while (true)
        {
            // Subscribed before looking, so a registration between the look and the wait is not missed.
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnChanged() => changed.TrySetResult();
            registry.Changed += OnChanged;
            try
            {
                // Below min_workers a suspect worker is better than none: the excluded ones may come back here.
                LeaseFree(includeExcluded: true);
                int count = lease.Workers.Count;
                if (count >= Minimum)
                {
                    await observer.Running(count, waited
                        ? $"Workers are back: running on {Names()}."
                        : $"Running on {Names()} after losing {worker.Id}.");
                    return true;
                }
                await observer.WaitingForWorkers(
                    $"waiting for workers: {count} of {Minimum} after losing {worker.Id}; training continues from the same step once enough have registered");
                waited = true;
                await changed.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                registry.Changed -= OnChanged;
            }
        }
    }

    public async Task<IReadOnlyList<WorkerEndpoint>> JoinAsync()
    {
        var added = LeaseFree();
        if (added.Count > 0)
        {
            await observer.Running(lease.Workers.Count, $"{string.Join(", ", added.Select(worker => worker.Id))} joined: running on {Names()}.");
        }
        return added;
    }

    public IReadOnlyList<WorkerEndpoint> TakeLeaving() => registry.TakeLeaving(lease);

    /// <summary>Leases free workers up to max_workers (0: no limit), leaving out the excluded ones unless told otherwise.</summary>
    private IReadOnlyList<WorkerEndpoint> LeaseFree(bool includeExcluded = false)
    {
        int room = spec.MaxWorkers > 0 ? spec.MaxWorkers - lease.Workers.Count : int.MaxValue;
        if (room <= 0)
        {
            return [];
        }
        var added = registry.LeaseMore(lease, room, includeExcluded ? new HashSet<string>(StringComparer.Ordinal) : _excluded);
        if (includeExcluded)
        {
            _excluded.ExceptWith(added.Select(worker => worker.Id));
        }
        return added;
    }

    private string Names() => string.Join(", ", lease.Workers.Select(worker => worker.Id));
}
