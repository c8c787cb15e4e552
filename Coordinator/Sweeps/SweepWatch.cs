using System.Threading.Channels;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Sweeps;

/// <summary>One watcher's queue of sweep events; a sweep has few (a handful per trial epoch), so none is dropped.</summary>
internal sealed class SweepWatch : IDisposable
{
    private readonly Channel<SweepEvent> _events = Channel.CreateUnbounded<SweepEvent>(new UnboundedChannelOptions { SingleReader = true });
    private volatile bool _disposed;

    /// <summary>True once the reader has gone.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Reads the next event; null when the sweep has ended and every event was read.</summary>
    public async ValueTask<SweepEvent?> ReadAsync(CancellationToken cancellation) =>
        await _events.Reader.WaitToReadAsync(cancellation) ? await _events.Reader.ReadAsync(cancellation) : null;

    /// <summary>Queues <paramref name="sweepEvent"/>.</summary>
    public void Offer(SweepEvent sweepEvent) => _events.Writer.TryWrite(sweepEvent);

    /// <summary>No more events follow.</summary>
    public void Complete() => _events.Writer.TryComplete();

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _events.Writer.TryComplete();
    }
}
