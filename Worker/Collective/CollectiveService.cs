using System.Collections.Concurrent;
using System.Diagnostics;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// The worker's trainer.v1.Collective service: the sending end of the ring. The next rank of each job's ring
/// subscribes here (Subscribe); the local <see cref="GrpcRingTransport"/> of that ring writes its pieces on the
/// subscription's stream, and ends it when it leaves the ring. HTTP/2 flow control holds the sender back when the
/// receiver does not read, so memory does not grow with a slow peer.
/// </summary>
/// <param name="sharedMemoryDirectory">Where the ring's shared-memory inboxes live on this machine (a tmpfs such as
/// /dev/shm): this rank's receiving links offer one there, and its sending links take up a next rank's offer found there;
/// null: every link stays on its gRPC stream.</param>
internal sealed class CollectiveService(string? sharedMemoryDirectory = null) : CollectiveServiceBase
{
    private readonly ConcurrentDictionary<(string JobId, int ToRank), TaskCompletionSource<RingSubscriber>> _subscribers = new();

    /// <summary>Where this worker's ring links offer and find shared-memory inboxes; null for none.</summary>
    internal string? SharedMemoryDirectory => sharedMemoryDirectory;

    /// <summary>The subscription of rank <paramref name="toRank"/> to this rank's pieces of <paramref name="jobId"/>, once it has come.</summary>
    internal Task<RingSubscriber> Subscriber(string jobId, int toRank) => Slot(jobId, toRank).Task;

    /// <summary>Forgets the subscription (the sending transport was disposed) and ends its stream OK.</summary>
    internal void RemoveSubscriber(string jobId, int toRank)
    {
        if (!_subscribers.TryRemove((jobId, toRank), out var slot))
        {
            return;
        }
        if (slot.Task.IsCompletedSuccessfully)
        {
            slot.Task.Result.Close();
        }
        else
        {
            slot.TrySetCanceled();
        }
    }

    private TaskCompletionSource<RingSubscriber> Slot(string jobId, int toRank) =>
        _subscribers.GetOrAdd((jobId, toRank), static _ => new TaskCompletionSource<RingSubscriber>(TaskCreationOptions.RunContinuationsAsynchronously));

    public override Task Subscribe(RingSubscription request, IServerStreamWriter<OutgoingRingChunk> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(context);
        return ServeAsync(request, new RingSubscriber(responses.WriteAsync, request.ToRank), context.CancellationToken);
    }

    /// <summary>
    /// Hands <paramref name="subscriber"/> to the sending rank's transport and waits until the sender is done with it
    /// (the call then ends OK) or the call ends first (<paramref name="callEnded"/>: the receiver left, or the server
    /// ends its calls); the one home of a subscription's life, whether Kestrel or a <see cref="DirectRingStream"/> serves it.
    /// </summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT for a request without a job or with a negative rank; FAILED_PRECONDITION
    /// when the receiver already subscribed to the job here.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="callEnded"/> fired first.</exception>
    internal async Task ServeAsync(RingSubscription request, RingSubscriber subscriber, CancellationToken callEnded)
    {
        if (string.IsNullOrEmpty(request.JobId) || request.FromRank < 0 || request.ToRank < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"Invalid subscription: job '{request.JobId}', from_rank {request.FromRank}, to_rank {request.ToRank} (needs a job id and ranks >= 0)"));
        }
        // The call's server span, Kestrel's or the direct call's.
        Activity.Current?.SetTag(TrainingAttributes.JobId, request.JobId);
        if (sharedMemoryDirectory is not null
            && SharedMemoryInbox.TryOpen(sharedMemoryDirectory, request.JobId, request.ToRank, request.SharedMemoryOffer) is { } inbox)
        {
            try
            {
                await subscriber.MoveToInboxAsync(inbox, request.JobId, request.FromRank, callEnded);
            }
            catch
            {
                await subscriber.EndAsync();
                throw;
            }
        }
        var slot = Slot(request.JobId, request.ToRank);
        if (!slot.TrySetResult(subscriber))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Invalid subscription: rank {request.ToRank} already receives job {request.JobId}'s pieces from this worker"));
        }
        try
        {
            await subscriber.Closed.WaitAsync(callEnded);
        }
        catch (OperationCanceledException) when (callEnded.IsCancellationRequested)
        {
            // The sender's next write fails and names the receiver; a sender that never came finds no stale entry. The
            // cancellation goes on to the caller, which turns a stopping server's into UNAVAILABLE.
            _subscribers.TryRemove(KeyValuePair.Create((request.JobId, request.ToRank), slot));
            throw;
        }
        finally
        {
            await subscriber.EndAsync();
        }
    }
}
