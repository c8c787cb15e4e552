namespace DistributedTrainer.Training.Collective;

/// <summary>
/// A reusable per-piece deadline linked to the call's token: armed before each send or receive, disarmed after,
/// so a ring step allocates one token source per direction rather than one per piece.
/// </summary>
internal sealed class PieceTimer : IDisposable
{
    private readonly CancellationToken _outer;
    private readonly TimeSpan _timeout;
    private CancellationTokenSource _source;

    public PieceTimer(TimeSpan timeout, CancellationToken outer)
    {
        _outer = outer;
        _timeout = timeout;
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
    }

    /// <summary>Arms the deadline and returns the token to pass to the operation.</summary>
    public CancellationToken Start()
    {
        _source.CancelAfter(_timeout);
        return _source.Token;
    }

    /// <summary>Disarms the deadline; a source that fired just after the operation succeeded is replaced.</summary>
    public void Stop()
    {
        if (!_source.TryReset())
        {
            _source.Dispose();
            _source = CancellationTokenSource.CreateLinkedTokenSource(_outer);
        }
    }

    /// <summary>True when the deadline, not the outer token, cancelled the operation.</summary>
    public bool Expired => _source.IsCancellationRequested && !_outer.IsCancellationRequested;

    public void Dispose() => _source.Dispose();
}
