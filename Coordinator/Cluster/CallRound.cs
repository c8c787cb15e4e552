namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Calls to several workers that stand or fall together (one step, one evaluation). A worker's own failure (its
/// process gone, no answer, a refusal) cancels the others at once, so none waits for its deadline, and is the one
/// reported rather than the cancellations or ring errors it caused on the other workers. A ring error naming a
/// peer does not cancel: a silent rank makes the ranks behind it fail one after the other, each naming its
/// predecessor, so the round waits for every report (each call is bounded by its deadline) and reports the one
/// from the earliest position in the step, which names the rank that started it.
/// </summary>
internal sealed class CallRound : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly List<Task> _calls = [];
    private readonly object _gate = new();
    private WorkerFailedException? _own;
    private WorkerFailedException? _earliestPeer;

    public CallRound(CancellationToken cancellationToken)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Cancelled by the caller's token or by the first failure of a worker's own.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Adds a call of the round.</summary>
    public Task<T> Add<T>(Task<T> call)
    {
        var watched = WatchAsync(call);
        _calls.Add(watched);
        return watched;
    }

    /// <summary>Waits for every call; throws the failure that names the worker at fault, if there was one.</summary>
    public async Task WhenAllAsync()
    {
        try
        {
            await Task.WhenAll(_calls);
        }
        catch when (Reported() is not null)
        {
            throw Reported()!;
        }
    }

    private WorkerFailedException? Reported()
    {
        lock (_gate)
        {
            return _own ?? _earliestPeer;
        }
    }

    private async Task<T> WatchAsync<T>(Task<T> call)
    {
        try
        {
            return await call;
        }
        catch (WorkerFailedException failure)
        {
            bool cancel = false;
            lock (_gate)
            {
                if (failure.Kind != WorkerFailureKind.PeerFailed)
                {
                    cancel = _own is null;
                    _own ??= failure;
                }
                else if (_earliestPeer is null || Earlier(failure, _earliestPeer))
                {
                    _earliestPeer = failure;
                }
            }
            if (cancel)
            {
                await _cancel.CancelAsync();
            }
            throw;
        }
    }

    private static bool Earlier(WorkerFailedException failure, WorkerFailedException than) =>
        (failure.RingPosition ?? (int.MaxValue, int.MaxValue)).CompareTo(than.RingPosition ?? (int.MaxValue, int.MaxValue)) < 0;

    public void Dispose() => _cancel.Dispose();
}
