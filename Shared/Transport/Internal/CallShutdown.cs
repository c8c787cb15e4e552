namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// When a stopping server ends its open calls: a short drain after health turned NOT_SERVING, so that watchers of
/// health see NOT_SERVING before their stream ends (cancelling at once would race the status update out), and
/// long calls (job watches) end with a status well before the host's shutdown timeout.
/// </summary>
internal sealed class CallShutdown : IDisposable
{
    /// <summary>How long open calls keep running once the server starts stopping.</summary>
    public static readonly TimeSpan Drain = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _ending = new();
    private readonly TimeSpan _drain;
    private volatile bool _stopping;

    public CallShutdown()
        : this(Drain)
    {
    }

    /// <summary>A shutdown whose calls end <paramref name="drain"/> after <see cref="Begin"/> (tests hold the drain open).</summary>
    internal CallShutdown(TimeSpan drain) => _drain = drain;

    /// <summary>Fires when open calls are to end.</summary>
    public CancellationToken Ending => _ending.Token;

    /// <summary>True from the moment the server starts stopping, before <see cref="Ending"/> fires.</summary>
    public bool Stopping => _stopping;

    /// <summary>Ends open calls after the drain (<see cref="Drain"/> unless the test's constructor set another).</summary>
    public void Begin()
    {
        _stopping = true;
        _ending.CancelAfter(_drain);
    }

    public void Dispose() => _ending.Dispose();
}
