using System.Threading.Channels;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Collective;
using Grpc.Core;
using Grpc.Net.Client;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A rank's ring link over gRPC: one long-lived trainer.v1.Collective/Exchange stream to the next rank,
/// opened when the ring is prepared and reused by every step, and the local <see cref="CollectiveService"/>'s
/// inbox of pieces from the previous rank. Payloads are copied once, from the caller's buffer into the stream's
/// (<see cref="OutgoingRingChunk.Write"/>).
/// </summary>
/// <remarks>
/// After a <see cref="RingException"/> the stream may be broken or hold stale pieces: dispose the transport
/// and open a new one for the next ring layout. A job id names one ring; give a re-formed ring a fresh id
/// (e.g. with a layout generation) so that pieces of the old one cannot reach it.
/// </remarks>
internal sealed class GrpcRingTransport : IRingTransport, IAsyncDisposable
{
    /// <summary>Exchange, client side: chunks written by hand, the summary as the generated message.</summary>
    private static readonly Method<OutgoingRingChunk, RingExchangeSummary> Exchange = new(MethodType.ClientStreaming,
        CollectiveServiceBase.Descriptor.FullName, "Exchange", ClusterMarshallers.WriteOnly<OutgoingRingChunk>(OutgoingRingChunk.Write),
        ClusterMarshallers.Protobuf(RingExchangeSummary.Parser));

    private readonly CollectiveService _local;
    private readonly AsyncClientStreamingCall<OutgoingRingChunk, RingExchangeSummary> _call;
    private readonly ChannelReader<RingPiece> _inbox;
    private readonly OutgoingRingChunk _outgoing = new();
    private readonly int _previous;

    private GrpcRingTransport(CollectiveService local, GrpcChannel next, string jobId, int rank, int size, Metadata? headers)
    {
        _local = local;
        JobId = jobId;
        Rank = rank;
        _previous = (rank + size - 1) % size;
        _inbox = local.Inbox(jobId, _previous);
        _call = next.CreateCallInvoker().AsyncClientStreamingCall(Exchange, null, new CallOptions(headers));
    }

    public string JobId { get; }

    public int Rank { get; }

    /// <summary>
    /// Opens the stream to the next rank and starts listening for the previous one. Does not wait for the
    /// peer: a peer that is not there fails the first send, which names it.
    /// </summary>
    /// <param name="local">This worker's Collective service (its inbox receives from the previous rank).</param>
    /// <param name="next">Channel to rank (rank + 1) mod size; not owned, the caller disposes it.</param>
    /// <param name="jobId">The ring's job id, the same on every rank.</param>
    /// <param name="rank">This rank, in [0, size).</param>
    /// <param name="size">Ranks in the ring, at least 2 (a single rank needs no link).</param>
    /// <param name="headers">Sent with the stream: the bearer token the next rank requires (<see cref="Transport.BearerToken.Headers"/>); null for none.</param>
    public static GrpcRingTransport Open(CollectiveService local, GrpcChannel next, string jobId, int rank, int size, Metadata? headers = null)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(next);
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

        return new GrpcRingTransport(local, next, jobId, rank, size, headers);
    }

    public async ValueTask SendAsync(RingPieceHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        // One message object for all sends: the stream serializes it before WriteAsync returns.
        _outgoing.JobId = JobId;
        _outgoing.Header = header;
        _outgoing.Payload = payload;
        try
        {
            await _call.RequestStream.WriteAsync(_outgoing, cancellationToken);
        }
        finally
        {
            _outgoing.Payload = ReadOnlyMemory<byte>.Empty;
        }
    }

    public ValueTask<RingPiece> ReceiveAsync(CancellationToken cancellationToken) => _inbox.ReadAsync(cancellationToken);

    /// <summary>Completes the stream (the next rank's handler ends cleanly) and releases the inbox.</summary>
    public async ValueTask DisposeAsync()
    {
        _local.Remove(JobId, _previous);
        try
        {
            await _call.RequestStream.CompleteAsync();
            await _call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or TimeoutException or IOException)
        {
            // A broken link has nothing left to close: disposing is how the caller abandons it.
        }
        finally
        {
            _call.Dispose();
        }
    }
}
