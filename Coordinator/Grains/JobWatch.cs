using System.Threading.Channels;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// One watcher's queue of job events. Step events beyond <see cref="StepCapacity"/> unread ones are dropped, so a
/// slow watcher never holds up training; snapshot, history, state, epoch and message events are always kept (there are few).
/// </summary>
internal sealed class JobWatch : IDisposable
{
    /// <summary>Unread step events a watcher may fall behind by before new ones are dropped.</summary>
    public const int StepCapacity = 256;

    private readonly Channel<JobEvent> _events = Channel.CreateUnbounded<JobEvent>(new UnboundedChannelOptions { SingleReader = true });
    private int _pendingSteps;
    private long _droppedSteps;
    private volatile bool _disposed;

    /// <summary>Step events dropped because this watcher was behind.</summary>
    public long DroppedSteps => Interlocked.Read(ref _droppedSteps);

    /// <summary>True once the reader has gone; the grain forgets it at its next event.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Reads the next event; false when the job has ended and every event was read.</summary>
    public async ValueTask<JobEvent?> ReadAsync(CancellationToken cancellation)
    {
        if (!await _events.Reader.WaitToReadAsync(cancellation))
        {
            return null;
        }
        var next = await _events.Reader.ReadAsync(cancellation);
        if (next.EventCase == JobEvent.EventOneofCase.Step)
        {
            Interlocked.Decrement(ref _pendingSteps);
        }
        return next;
    }

    /// <summary>Queues <paramref name="jobEvent"/> (called by the grain only, in its turn).</summary>
    public void Offer(JobEvent jobEvent)
    {
        if (jobEvent.EventCase == JobEvent.EventOneofCase.Step)
        {
            if (Volatile.Read(ref _pendingSteps) >= StepCapacity)
            {
                Interlocked.Increment(ref _droppedSteps);
                return;
            }
            Interlocked.Increment(ref _pendingSteps);
        }
        _events.Writer.TryWrite(jobEvent);
    }

    /// <summary>No more events follow (called by the grain when the job ends).</summary>
    public void Complete() => _events.Writer.TryComplete();

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _events.Writer.TryComplete();
    }
}
