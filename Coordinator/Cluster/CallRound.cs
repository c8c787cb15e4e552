namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Calls to several workers that stand or fall together (one step, one evaluation): the first
/// <see cref="WorkerFailedException"/> cancels the others, so none waits for its deadline, and is the one reported,
/// rather than the cancellations or ring errors it caused on the other workers.
/// </summary>
internal sealed class CallRound : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly List<Task> _calls = [];
    private WorkerFailedException? _first;

    public CallRound(CancellationToken cancellationToken)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Cancelled by the caller's token or by the first failure.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>Adds a call of the round.</summary>
    public Task<T> Add<T>(Task<T> call)
    {
        var watched = WatchAsync(call);
        _calls.Add(watched);
        return watched;
    }

    /// <summary>Waits for every call; throws the first worker failure if there was one.</summary>
    public async Task WhenAllAsync()
    {
        try
        {
            await Task.WhenAll(_calls);
        }
        catch when (Volatile.Read(ref _first) is not null)
        {
            throw _first!;
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
            if (Interlocked.CompareExchange(ref _first, failure, null) is null)
            {
                await _cancel.CancelAsync();
            }
            throw;
        }
    }

    public void Dispose() => _cancel.Dispose();
}
