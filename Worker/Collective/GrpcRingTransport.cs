using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Collective;
using Grpc.Core;
using Grpc.Net.Client;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A rank's ring link over gRPC: its trainer.v1.Collective/Subscribe stream from the previous rank, opened when the
/// ring is prepared and reused by every step, and the next rank's subscription to it on the local
/// <see cref="CollectiveService"/>, on which it writes its own pieces. A payload is copied once on the sending side,
/// from the caller's buffer into the stream's (<see cref="OutgoingRingChunk.Write"/>), and the receiving ring adds or
/// copies it into place from the bytes the client received (<see cref="IncomingRingChunk.Read"/>). When the local service
/// has a shared-memory directory, the subscription offers an inbox there, and a previous rank on the same machine moves
/// the link into it (<see cref="SharedMemoryInbox"/>): the stream then only tells this rank when that rank is gone.
/// </summary>
/// <remarks>
/// After a <see cref="RingException"/> the stream may be broken or hold stale pieces: dispose the transport
/// and open a new one for the next ring layout. A job id names one ring; give a re-formed ring a fresh id
/// (e.g. with a layout generation) so that pieces of the old one cannot reach it.
/// </remarks>
internal sealed class GrpcRingTransport : IRingTransport, IAsyncDisposable
{
    private readonly CollectiveService _local;
    private readonly AsyncServerStreamingCall<IncomingRingChunk> _subscription;
    private readonly Task<RingSubscriber> _subscriber;
    private readonly OutgoingRingChunk _outgoing = new();
    private readonly int _previous;
    private readonly int _next;
    // This rank's shared-memory inbox, offered with the subscription; null when none was.
    private readonly SharedMemoryInbox? _inbox;
    private readonly Action? _movedToSharedMemory;
    // Set once the previous rank moved the link into the inbox; then the stream is only watched (_streamWatch).
    private bool _viaInbox;
    private Task? _streamWatch;
    // The reader of the receive in progress: the subscription's deserializer hands it the piece, during MoveNext.
    private IRingPieceReader? _reader;
    private long _received;

    private GrpcRingTransport(CollectiveService local, GrpcChannel previous, string jobId, int rank, int size, Metadata? headers, Action? movedToSharedMemory)
    {
        _local = local;
        _movedToSharedMemory = movedToSharedMemory;
        JobId = jobId;
        Rank = rank;
        _previous = (rank + size - 1) % size;
        _next = (rank + 1) % size;
        _subscriber = local.Subscriber(jobId, _next);
        ulong offer = 0;
        if (local.SharedMemoryDirectory is { } directory)
        {
            _inbox = SharedMemoryInbox.TryCreate(directory, jobId, rank, out offer);
        }
        // Subscribe, client side: the subscription as the generated message, each chunk read by hand into the ring.
        var subscribe = new Method<RingSubscription, IncomingRingChunk>(MethodType.ServerStreaming, CollectiveServiceBase.Descriptor.FullName,
            "Subscribe", ClusterMarshallers.Protobuf(RingSubscription.Parser),
            ClusterMarshallers.ReadOnly(context => IncomingRingChunk.Read(context, JobId, _previous, _reader)));
        _subscription = previous.CreateCallInvoker().AsyncServerStreamingCall(subscribe, null, new CallOptions(headers),
            new RingSubscription { JobId = jobId, FromRank = _previous, ToRank = rank, SharedMemoryOffer = offer });
    }

    public string JobId { get; }

    public int Rank { get; }

    /// <summary>
    /// Subscribes to the previous rank's pieces and starts waiting for the next rank's subscription. Does not wait for
    /// either peer: a peer that is not there fails the first send or receive, which names it.
    /// </summary>
    /// <param name="local">This worker's Collective service (the next rank subscribes there).</param>
    /// <param name="previous">Channel to rank (rank - 1) mod size; not owned, the caller disposes it.</param>
    /// <param name="jobId">The ring's job id, the same on every rank.</param>
    /// <param name="rank">This rank, in [0, size).</param>
    /// <param name="size">Ranks in the ring, at least 2 (a single rank needs no link).</param>
    /// <param name="headers">Sent with the subscription: the bearer token the previous rank requires; null for none.</param>
    /// <param name="movedToSharedMemory">Called once when the previous rank moves the link into this rank's shared-memory inbox.</param>
    public static GrpcRingTransport Open(CollectiveService local, GrpcChannel previous, string jobId, int rank, int size, Metadata? headers = null,
        Action? movedToSharedMemory = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(previous);
        if (string.IsNullOrEmpty(jobId))
        {
            throw new ArgumentException("Invalid jobId: empty (must name the job)", nameof(jobId));
        }

        if (size < 2)
        {
            throw new ArgumentException($"Invalid size: {size} (a ring link needs at least 2 ranks)", nameof(size));
        }

        if (rank < 0 || rank >= size)
        {
            throw new ArgumentException($"Invalid rank: {rank} (must be in [0, {size}))", nameof(rank));
        }

        return new GrpcRingTransport(local, previous, jobId, rank, size, headers, movedToSharedMemory);
    }

    /// <summary>True once the next rank's subscription came and this rank moved the link into that rank's inbox.</summary>
    public bool SendsByMemoryCopy => _subscriber.IsCompletedSuccessfully && _subscriber.Result.WritesToInbox;

    public async ValueTask SendAsync(RingPieceHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        RingSubscriber subscriber = await _subscriber.WaitAsync(cancellationToken);
        // One message object for all sends: the stream serializes it before WriteAsync returns.
        _outgoing.JobId = JobId;
        _outgoing.Header = header;
        _outgoing.Payload = payload;
        try
        {
            await subscriber.WriteAsync(_outgoing, cancellationToken);
        }
        finally
        {
            _outgoing.Payload = ReadOnlyMemory<byte>.Empty;
        }
    }

    public ValueTask ReceiveAsync(IRingPieceReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return _viaInbox ? _inbox!.ReadAsync(reader, cancellationToken) : ReceiveFromStreamAsync(reader, cancellationToken);
    }

    private async ValueTask ReceiveFromStreamAsync(IRingPieceReader reader, CancellationToken cancellationToken)
    {
        bool received;
        _reader = reader;
        try
        {
            received = await _subscription.ResponseStream.MoveNext(cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            // The client reports a cancelled read as the call's CANCELLED status; the ring expects the cancellation.
            throw new OperationCanceledException(e.Message, e, cancellationToken);
        }
        finally
        {
            _reader = null;
        }
        if (!received)
        {
            throw new IOException($"rank {_previous} ended its stream of job {JobId}'s pieces");
        }
        IncomingRingChunk chunk = _subscription.ResponseStream.Current;
        if (chunk.Problem is { } problem)
        {
            throw new InvalidDataException($"Invalid ring chunk {_received}: {problem}");
        }
        if (chunk.SharedMemory)
        {
            if (_inbox is null || _received > 0)
            {
                throw new InvalidDataException(_inbox is null
                    ? $"Invalid ring chunk {_received}: rank {_previous} moved to a shared-memory inbox this rank did not offer"
                    : $"Invalid ring chunk {_received}: rank {_previous} moved to shared memory after sending pieces on its stream");
            }
            _viaInbox = true;
            _streamWatch = WatchStreamAsync(_inbox);
            _movedToSharedMemory?.Invoke();
            await _inbox.ReadAsync(reader, cancellationToken);
            return;
        }
        _received++;
    }

    // With the pieces in the inbox the stream carries nothing more: its end, or anything on it, means the previous rank
    // is gone or wrong, and fails this rank's wait for its next piece at once rather than at the piece's deadline.
    private async Task WatchStreamAsync(SharedMemoryInbox inbox)
    {
        string reason;
        try
        {
            reason = await _subscription.ResponseStream.MoveNext(CancellationToken.None)
                ? $"rank {_previous} sent a chunk on its stream after moving to shared memory"
                : $"rank {_previous} ended its stream of job {JobId}'s pieces";
        }
        catch (Exception e) when (e is RpcException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            reason = $"rank {_previous}'s stream of job {JobId}'s pieces failed: {e.Message}";
        }
        inbox.Fail(reason);
    }

    /// <summary>Ends the next rank's subscription (its stream ends OK), drops this rank's own and unmaps its inbox.</summary>
    public async ValueTask DisposeAsync()
    {
        _local.RemoveSubscriber(JobId, _next);
        _subscription.Dispose();
        if (_streamWatch is not null)
        {
            // It ends with the subscription, and must be over before the inbox it tells is unmapped.
            await _streamWatch;
        }
        _inbox?.Dispose();
    }
}
