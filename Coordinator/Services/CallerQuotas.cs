using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace DistributedTrainer.Coordinator.Services;

/// <summary>
/// Keeps each Jobs API caller within its <see cref="CallerLimits"/>: the jobs it submitted that have not finished
/// (with their spec sizes) and its open watches. The counts live in memory: after a restart a caller starts from
/// zero, and the jobs it submitted before are not counted against it.
/// </summary>
internal sealed class CallerQuotas(CallerLimits limits)
{
    private readonly Lock _lock = new();
    // Caller -> its unfinished jobs -> their spec bytes.
    private readonly Dictionary<string, Dictionary<string, int>> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _watches = new(StringComparer.Ordinal);

    /// <summary>The limits enforced.</summary>
    public CallerLimits Limits => limits;

    /// <summary>
    /// Who is calling: a digest of the presented authorization header (never the token itself, so the key may be
    /// logged or kept without holding the secret), else the peer's address without its port.
    /// </summary>
    public static string CallerOf(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? authorization = context.RequestHeaders.GetValue("authorization");
        if (authorization is not null)
        {
            return "token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(authorization)), 0, 8);
        }
        string peer = context.Peer ?? "";
        int port = peer.LastIndexOf(':');
        return "peer:" + (port > peer.IndexOf(':', StringComparison.Ordinal) ? peer[..port] : peer);
    }

    /// <summary>
    /// Counts job <paramref name="jobId"/> of <paramref name="specBytes"/> against <paramref name="caller"/> after
    /// forgetting its jobs for which <paramref name="isFinished"/> says so.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED naming the limit the job would pass.</exception>
    public async Task ReserveJobAsync(string caller, string jobId, int specBytes, Func<string, Task<bool>> isFinished)
    {
        ArgumentNullException.ThrowIfNull(isFinished);
        string[] known;
        lock (_lock)
        {
            known = _jobs.TryGetValue(caller, out var jobs) ? [.. jobs.Keys] : [];
        }
        var finished = new List<string>();
        foreach (var id in known)
        {
            if (await isFinished(id))
            {
                finished.Add(id);
            }
        }
        lock (_lock)
        {
            if (!_jobs.TryGetValue(caller, out var jobs))
            {
                jobs = new Dictionary<string, int>(StringComparer.Ordinal);
                _jobs[caller] = jobs;
            }
            foreach (var id in finished)
            {
                jobs.Remove(id);
            }
            if (jobs.Count >= limits.MaxQueuedJobs)
            {
                throw Exhausted($"max_queued_jobs: {jobs.Count} unfinished jobs of this caller reach the limit {limits.MaxQueuedJobs} (--max-queued-jobs); wait for one to finish or cancel one");
            }
            long bytes = jobs.Values.Sum(size => (long)size) + specBytes;
            if (bytes > limits.MaxSpecBytes)
            {
                throw Exhausted($"max_spec_bytes: the specs of this caller's unfinished jobs would take {bytes} bytes, over the limit {limits.MaxSpecBytes} (--max-spec-bytes)");
            }
            jobs[jobId] = specBytes;
        }
    }

    /// <summary>Forgets job <paramref name="jobId"/> of <paramref name="caller"/>: it was refused before it was submitted.</summary>
    public void ReleaseJob(string caller, string jobId)
    {
        lock (_lock)
        {
            if (_jobs.TryGetValue(caller, out var jobs))
            {
                jobs.Remove(jobId);
            }
        }
    }

    /// <summary>Counts one open watch of <paramref name="caller"/> until the result is disposed.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED: the caller has <see cref="CallerLimits.MaxWatches"/> open.</exception>
    public IDisposable OpenWatch(string caller)
    {
        lock (_lock)
        {
            int open = _watches.GetValueOrDefault(caller);
            if (open >= limits.MaxWatches)
            {
                throw Exhausted($"max_watches: {open} open watches of this caller reach the limit {limits.MaxWatches} (--max-watches)");
            }
            _watches[caller] = open + 1;
        }
        return new WatchSlot(this, caller);
    }

    private void CloseWatch(string caller)
    {
        lock (_lock)
        {
            int open = _watches.GetValueOrDefault(caller) - 1;
            if (open > 0)
            {
                _watches[caller] = open;
            }
            else
            {
                _watches.Remove(caller);
            }
        }
    }

    private static RpcException Exhausted(string reason) => new(new Status(StatusCode.ResourceExhausted, reason));

    private sealed class WatchSlot(CallerQuotas quotas, string caller) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                quotas.CloseWatch(caller);
            }
        }
    }
}
