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
/// copies it into place from the bytes the client received (<see cref="IncomingRingChunk.Read"/>).
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
    // The reader of the receive in progress: the subscription's deserializer hands it the piece, during MoveNext.
    private IRingPieceReader? _reader;
    private long _received;

    private GrpcRingTransport(CollectiveService local, GrpcChannel previous, string jobId, int rank, int size, Metadata? headers)
    {
        _local = local;
        JobId = jobId;
        Rank = rank;
        _previous = (rank + size - 1) % size;
        _next = (rank + 1) % size;
        _subscriber = local.Subscriber(jobId, _next);
        // Subscribe, client side: the subscription as the generated message, each chunk read by hand into the ring.
        var subscribe = new Method<RingSubscription, IncomingRingChunk>(MethodType.ServerStreaming, CollectiveServiceBase.Descriptor.FullName,
            "Subscribe", ClusterMarshallers.Protobuf(RingSubscription.Parser),
            ClusterMarshallers.ReadOnly(context => IncomingRingChunk.Read(context, JobId, _previous, _reader)));
        _subscription = previous.CreateCallInvoker().AsyncServerStreamingCall(subscribe, null, new CallOptions(headers),
            new RingSubscription { JobId = jobId, FromRank = _previous, ToRank = rank });
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
    public static GrpcRingTransport Open(CollectiveService local, GrpcChannel previous, string jobId, int rank, int size, Metadata? headers = null)
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

        return new GrpcRingTransport(local, previous, jobId, rank, size, headers);
    }

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

    public async ValueTask ReceiveAsync(IRingPieceReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
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
        if (_subscription.ResponseStream.Current.Problem is { } problem)
        {
            throw new InvalidDataException($"Invalid ring chunk {_received}: {problem}");
        }
        _received++;
    }

    /// <summary>Ends the next rank's subscription (its stream ends OK) and drops this rank's own.</summary>
    public ValueTask DisposeAsync()
    {
        _local.RemoveSubscriber(JobId, _next);
        _subscription.Dispose();
        return ValueTask.CompletedTask;
    }
}
