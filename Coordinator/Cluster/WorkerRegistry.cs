using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// The workers that registered with this coordinator and still heartbeat, and which job holds each. Ids are the
/// worker's requested name when free, else "w-1", "w-2", ...; a worker that registers again from the same address
/// (or with the same name) after a restart gets its id back. A worker silent for
/// <see cref="MissedHeartbeats"/> heartbeat intervals is dropped. Every change raises <see cref="Changed"/>, so
/// jobs waiting for workers wake up at once.
/// </summary>
internal sealed class WorkerRegistry : IDisposable
{
    /// <summary>Heartbeat intervals a worker may miss before it is dropped.</summary>
    public const int MissedHeartbeats = 3;

    /// <summary>Most workers registered at once; more registrations are refused (bounds the coordinator's memory).</summary>
    public const int Capacity = 1024;

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _live = new(StringComparer.Ordinal);
    // Remembered after a worker is lost, so the same worker (same address) gets the same id when it comes back.
    private readonly Dictionary<string, string> _idsByAddress = new(StringComparer.Ordinal);
    // Workers that left while a job held them, until that job takes them at its next step boundary.
    private readonly List<(string JobId, WorkerEndpoint Worker)> _leaving = [];
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ITimer _expiry;
    private long _registrations;
    private int _nextNumber = 1;

    /// <param name="clock">Heartbeat times and the expiry timer.</param>
    /// <param name="heartbeatInterval">How often workers are told to heartbeat.</param>
    /// <param name="logger">Receives worker registered and lost messages.</param>
    public WorkerRegistry(TimeProvider clock, TimeSpan heartbeatInterval, ILogger logger)
    {
        if (heartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(heartbeatInterval), heartbeatInterval, "Invalid heartbeat interval (must be positive)");
        }
        _clock = clock;
        _logger = logger;
        HeartbeatInterval = heartbeatInterval;
        _expiry = clock.CreateTimer(_ => ExpireSilent(), null, heartbeatInterval, heartbeatInterval);
    }

    /// <summary>Raised after every registration, loss and release (outside the registry's lock).</summary>
    public event Action? Changed;

    /// <summary>How often workers heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; }

    /// <summary>Workers registered and not lost.</summary>
    public int LiveCount
    {
        get
        {
            lock (_gate)
            {
                return _live.Count;
            }
        }
    }

    /// <summary>Live workers no job holds.</summary>
    public int FreeCount
    {
        get
        {
            lock (_gate)
            {
                return _live.Values.Count(entry => entry.LeasedBy is null);
            }
        }
    }

    /// <summary>Every live worker, in registration order.</summary>
    public IReadOnlyList<WorkerEndpoint> Live
    {
        get
        {
            lock (_gate)
            {
                return [.. _live.Values.OrderBy(entry => entry.Order).Select(entry => entry.Worker)];
            }
        }
    }

    /// <summary>Every live worker, in registration order, with the job that holds it (null: free).</summary>
    public IReadOnlyList<(WorkerEndpoint Worker, string? JobId)> Holdings()
    {
        lock (_gate)
        {
            return [.. _live.Values.OrderBy(entry => entry.Order).Select(entry => (entry.Worker, entry.LeasedBy))];
        }
    }

    /// <summary>
    /// Registers a worker at <paramref name="address"/> (an absolute http(s) URL) and returns its id. A live worker
    /// with the same address or name is replaced: it is the same worker, restarted; a job holding it keeps holding it.
    /// </summary>
    /// <param name="name">Requested id; empty or taken by another worker: "w-N".</param>
    /// <exception cref="InvalidOperationException"><see cref="Capacity"/> workers are registered already.</exception>
    public WorkerEndpoint Register(Uri address, int threads, string name)
    {
        string addressKey = address.AbsoluteUri;
        WorkerEndpoint worker;
        List<Entry> replaced = [];
        lock (_gate)
        {
            string id = ChooseId(addressKey, name);
            Entry? previous = _live.GetValueOrDefault(id);
            replaced.AddRange(_live.Values.Where(entry => entry.AddressKey == addressKey && entry.Worker.Id != id));
            foreach (var stale in replaced)
            {
                _live.Remove(stale.Worker.Id);
            }
            if (previous is null && _live.Count >= Capacity)
            {
                throw new InvalidOperationException($"The registry holds {Capacity} workers already; worker at {address} refused.");
            }
            worker = new WorkerEndpoint(id, address, threads);
            _live[id] = new Entry(worker, addressKey, name.Length > 0 && name == id, previous?.Order ?? ++_registrations)
            {
                LastSeen = _clock.GetUtcNow(),
                LeasedBy = previous?.LeasedBy,
            };
            RememberAddress(addressKey, id);
        }
        foreach (var stale in replaced)
        {
            CoordinatorLog.WorkerLost(_logger, stale.Worker.Id, stale.Worker.Address, $"{worker.Id} registered at the same address");
        }
        CoordinatorLog.WorkerRegistered(_logger, worker.Id, worker.Address, worker.Threads);
        Changed?.Invoke();
        return worker;
    }

    /// <summary>
    /// Keeps <paramref name="workerId"/> alive; false when it is unknown (lost, or never registered here) or, with
    /// <paramref name="address"/>, live at another address: after a coordinator restart ids are handed out again in
    /// registration order, so the id a worker kept may now be another worker's, whose entry it must not keep alive
    /// while it stays unregistered itself.
    /// </summary>
    /// <param name="workerId">The id the worker was given when it registered.</param>
    /// <param name="address">The address it registered with; null checks the id alone.</param>
    public bool Heartbeat(string workerId, Uri? address)
    {
        lock (_gate)
        {
            if (!_live.TryGetValue(workerId, out var entry) || (address is not null && entry.AddressKey != address.AbsoluteUri))
            {
                return false;
            }
            entry.LastSeen = _clock.GetUtcNow();
            return true;
        }
    }

    /// <summary>
    /// <paramref name="workerId"/> is stopping: it leaves the registry at once (no job is given it again). A job that
    /// holds it keeps it until <see cref="TakeLeaving"/> hands it over at the job's next step boundary, so the step in
    /// flight finishes on it. False when the worker is unknown, checked as <see cref="Heartbeat"/> does.
    /// </summary>
    public bool Leave(string workerId, Uri? address)
    {
        Entry? entry;
        lock (_gate)
        {
            if (!_live.TryGetValue(workerId, out entry) || (address is not null && entry.AddressKey != address.AbsoluteUri))
            {
                return false;
            }
            _live.Remove(workerId);
            if (entry.LeasedBy is { } jobId)
            {
                _leaving.Add((jobId, entry.Worker));
            }
        }
        CoordinatorLog.WorkerLeaving(_logger, entry.Worker.Id, entry.Worker.Address,
            entry.LeasedBy is { } job ? $"job {job} releases it at its next step boundary" : "it held no job");
        Changed?.Invoke();
        return true;
    }

    /// <summary>The workers of <paramref name="lease"/> that said they are leaving since the last call, for its job to release.</summary>
    public IReadOnlyList<WorkerEndpoint> TakeLeaving(WorkerLease lease)
    {
        lock (_gate)
        {
            var held = lease.Workers;
            var taken = _leaving.Where(leaving => leaving.JobId == lease.JobId).ToList();
            _leaving.RemoveAll(leaving => leaving.JobId == lease.JobId);
            return [.. taken.Select(leaving => leaving.Worker).Where(held.Contains)];
        }
    }

    /// <summary>
    /// Gives <paramref name="jobId"/> up to <paramref name="maximum"/> (0: all) free workers, the earliest registered
    /// first, or nothing when fewer than <paramref name="minimum"/> are free.
    /// </summary>
    public WorkerLease? TryLease(string jobId, int minimum, int maximum)
    {
        lock (_gate)
        {
            var free = _live.Values.Where(entry => entry.LeasedBy is null).OrderBy(entry => entry.Order).ToList();
            int take = maximum > 0 ? Math.Min(maximum, free.Count) : free.Count;
            if (take < Math.Max(1, minimum))
            {
                return null;
            }
            foreach (var entry in free.Take(take))
            {
                entry.LeasedBy = jobId;
            }
            return new WorkerLease(this, jobId, [.. free.Take(take).Select(entry => entry.Worker)]);
        }
    }

    /// <summary>
    /// Adds to <paramref name="lease"/> up to <paramref name="count"/> free workers, the earliest registered first,
    /// except those in <paramref name="excluded"/>; returns the ones added. A worker the lease already holds that
    /// shows as free (it expired and registered again while its job held it) is the same worker: it is marked held
    /// again, not added a second time, which would put it twice in the job's ring.
    /// </summary>
    public IReadOnlyList<WorkerEndpoint> LeaseMore(WorkerLease lease, int count, IReadOnlySet<string> excluded)
    {
        List<WorkerEndpoint> added;
        lock (_gate)
        {
            var held = lease.Workers.Select(worker => worker.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var entry in _live.Values.Where(entry => entry.LeasedBy is null && held.Contains(entry.Worker.Id)))
            {
                entry.LeasedBy = lease.JobId;
            }
            added = [.. _live.Values
                .Where(entry => entry.LeasedBy is null && !excluded.Contains(entry.Worker.Id))
                .OrderBy(entry => entry.Order)
                .Take(count)
                .Select(entry =>
                {
                    entry.LeasedBy = lease.JobId;
                    return entry.Worker;
                })];
            lease.Add(added);
        }
        return added;
    }

    /// <summary>
    /// Takes <paramref name="worker"/> out of <paramref name="lease"/> after it failed in its job. A worker whose
    /// process is gone (<paramref name="gone"/>) is dropped from the registry, so it counts again only once it has
    /// registered anew; one that is alive becomes free for other jobs.
    /// </summary>
    public void Drop(WorkerLease lease, WorkerEndpoint worker, bool gone)
    {
        bool lost = false;
        lock (_gate)
        {
            lease.Remove(worker);
            if (_live.TryGetValue(worker.Id, out var entry) && entry.Worker == worker)
            {
                if (gone)
                {
                    _live.Remove(worker.Id);
                    lost = true;
                }
                else if (entry.LeasedBy == lease.JobId)
                {
                    entry.LeasedBy = null;
                }
            }
        }
        if (lost)
        {
            CoordinatorLog.WorkerLost(_logger, worker.Id, worker.Address, $"its process is gone (job {lease.JobId})");
        }
        Changed?.Invoke();
    }

    /// <summary>Drops every worker whose last heartbeat is <see cref="MissedHeartbeats"/> intervals old or older.</summary>
    public void ExpireSilent()
    {
        List<Entry> lost;
        lock (_gate)
        {
            var cutoff = _clock.GetUtcNow() - HeartbeatInterval * MissedHeartbeats;
            lost = [.. _live.Values.Where(entry => entry.LastSeen <= cutoff)];
            foreach (var entry in lost)
            {
                _live.Remove(entry.Worker.Id);
            }
        }
        foreach (var entry in lost)
        {
            CoordinatorLog.WorkerLost(_logger, entry.Worker.Id, entry.Worker.Address, $"no heartbeat for {MissedHeartbeats} intervals");
        }
        if (lost.Count > 0)
        {
            Changed?.Invoke();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _expiry.Dispose();

    /// <summary>Frees the workers of <paramref name="lease"/> that are still live and still held by its job.</summary>
    internal void Release(WorkerLease lease)
    {
        lock (_gate)
        {
            foreach (var worker in lease.Workers)
            {
                if (_live.TryGetValue(worker.Id, out var entry) && entry.LeasedBy == lease.JobId)
                {
                    entry.LeasedBy = null;
                }
            }
        }
        Changed?.Invoke();
    }

    private string ChooseId(string addressKey, string name)
    {
        // A name is the worker's stable identity: a live holder that registered under it is this worker, restarted.
        if (name.Length > 0 && (!_live.TryGetValue(name, out var holder) || holder.Named))
        {
            return name;
        }
        if (_idsByAddress.TryGetValue(addressKey, out var previous)
            && (!_live.TryGetValue(previous, out var current) || current.AddressKey == addressKey))
        {
            return previous;
        }
        string id;
        do
        {
            id = $"w-{_nextNumber++}";
        }
        while (_live.ContainsKey(id));
        return id;
    }

    private void RememberAddress(string addressKey, string id)
    {
        if (_idsByAddress.Count >= 4 * Capacity)
        {
            // Forget the addresses of lost workers first; live ones stay remembered.
            var live = _live.Values.Select(entry => entry.AddressKey).ToHashSet(StringComparer.Ordinal);
            foreach (var forgotten in _idsByAddress.Keys.Where(key => !live.Contains(key)).ToList())
            {
                _idsByAddress.Remove(forgotten);
            }
        }
        _idsByAddress[addressKey] = id;
    }

    private sealed record Entry(WorkerEndpoint Worker, string AddressKey, bool Named, long Order)
    {
        public DateTimeOffset LastSeen { get; set; }

        public string? LeasedBy { get; set; }
    }
}
