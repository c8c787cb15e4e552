using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// The next rank's Subscribe call as the sending rank holds it: the stream its pieces are written to, open until the
/// sender leaves the ring (<see cref="Close"/>) or the receiver ends the call.
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
            return _inFlight = write(chunk, cancellationToken);
        }
    }

    /// <summary>Lets the subscription end OK.</summary>
    public void Close() => _closed.TrySetResult();

    /// <summary>Refuses every later write, then waits for the one in flight; the handler calls it before it returns.</summary>
    public async Task EndAsync()
    {
        Task last;
        lock (_gate)
        {
            _ended = true;
            last = _inFlight;
        }
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
