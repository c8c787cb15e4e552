using DistributedTrainer.Training.Collective;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// The next rank's Subscribe call as the sending rank holds it: the stream its pieces are written to, open until the
/// sender leaves the ring (<see cref="Close"/>) or the receiver ends the call; or, once the receiver's shared-memory inbox
/// was taken up (<see cref="MoveToInboxAsync"/>), that inbox, with the stream left open to tell each side when the other
/// is gone.
/// </summary>
/// <remarks>
/// The call's handler returns only after <see cref="EndAsync"/>, which waits for a write in flight: a write that
/// outlived the handler would touch the request after ASP.NET Core disposed it (a cancelled write then throws from
/// the canceller's callback instead of failing the step).
/// </remarks>
/// <param name="write">Writes one piece on the subscription's stream: Kestrel's (<see cref="CollectiveService.Subscribe"/>) or a
/// <see cref="DirectRingStream"/>'s.</param>
/// <param name="toRank">The receiving rank, named when a write finds the subscription ended.</param>
internal sealed class RingSubscriber(Func<OutgoingRingChunk, CancellationToken, Task> write, int toRank)
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private Task _inFlight = Task.CompletedTask;
    private bool _ended;
    private SharedMemoryInbox? _inbox;

    /// <summary>Whether the pieces go into the receiver's shared-memory inbox (<see cref="MoveToInboxAsync"/>).</summary>
    public bool WritesToInbox => Volatile.Read(ref _inbox) is not null;

    /// <summary>Completes when the sending rank is done with the stream.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Writes one piece; the ring's send loop is the only writer, one write at a time.</summary>
    /// <exception cref="IOException">The receiver ended its subscription.</exception>
    public Task WriteAsync(OutgoingRingChunk chunk, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ended)
            {
                throw new IOException($"rank {toRank} ended its subscription");
            }
            return _inFlight = _inbox is { } inbox ? inbox.WriteAsync(chunk.Header, chunk.Payload, cancellationToken).AsTask() : write(chunk, cancellationToken);
        }
    }

    /// <summary>
    /// Tells the receiver, on the stream, that every later piece goes into <paramref name="inbox"/>, then writes them there;
    /// the subscriber owns the inbox from here on, even if the stream fails.
    /// </summary>
    public async Task MoveToInboxAsync(SharedMemoryInbox inbox, string jobId, int fromRank, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _inbox = inbox;
        }
        var marker = new OutgoingRingChunk
        {
            JobId = jobId,
            Header = new(0, CollectivePhase.ReduceScatter, 0, 0, 0, fromRank),
            SharedMemory = true,
        };
        await write(marker, cancellationToken);
    }

    /// <summary>Lets the subscription end OK.</summary>
    public void Close() => _closed.TrySetResult();

    /// <summary>
    /// Refuses every later write, then waits for the one in flight; the handler calls it before it returns. A write waiting
    /// for room in the inbox fails, and the inbox is unmapped.
    /// </summary>
    public async Task EndAsync()
    {
        Task last;
        lock (_gate)
        {
            _ended = true;
            last = _inFlight;
        }
        _inbox?.Dispose();
        try
        {
            await last;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or RpcException)
        {
            // The writer reports its own failure; the handler only waits for it to be over.
        }
    }
}
