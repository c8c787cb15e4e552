using System.Collections.Concurrent;
using System.Threading.Channels;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Collective;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// The worker's trainer.v1.Collective service: the receiving end of the ring. Each incoming Exchange stream
/// carries one job's pieces from one previous rank; they are queued in a bounded inbox per (job, sender) that
/// the local <see cref="GrpcRingTransport"/> reads. A full inbox stops reading the stream, so HTTP/2 flow
/// control holds the sender back rather than memory growing. Chunks are read from their serialized bytes
/// (<see cref="IncomingRingChunk"/>) and each payload is copied once, into a pooled buffer: no array per piece.
/// </summary>
internal sealed class CollectiveService : CollectiveServiceBase
{
    /// <summary>Pieces queued per (job, sender) before the stream waits: 8 pieces, 8 MiB at the default piece size.</summary>
    internal const int InboxCapacity = 8;

    private readonly ConcurrentDictionary<(string JobId, int FromRank), Channel<RingPiece>> _inboxes = new();

    /// <summary>The queue of pieces of <paramref name="jobId"/> from <paramref name="fromRank"/>, created on first use by either side.</summary>
    internal ChannelReader<RingPiece> Inbox(string jobId, int fromRank) => GetInbox(jobId, fromRank).Reader;

    /// <summary>Forgets the queue (the transport that read it was disposed); a later stream starts a new one.</summary>
    internal void Remove(string jobId, int fromRank) => _inboxes.TryRemove((jobId, fromRank), out _);

    private Channel<RingPiece> GetInbox(string jobId, int fromRank) =>
        _inboxes.GetOrAdd((jobId, fromRank), static _ => Channel.CreateBounded<RingPiece>(
            new BoundedChannelOptions(InboxCapacity) { SingleReader = true, SingleWriter = true }));

    public override async Task<RingExchangeSummary> Exchange(IAsyncStreamReader<IncomingRingChunk> requests, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(context);
        long count = 0;
        (string JobId, int FromRank)? source = null;
        ChannelWriter<RingPiece>? inbox = null;
        while (await requests.MoveNext(context.CancellationToken))
        {
            IncomingRingChunk chunk = requests.Current;
            if (chunk.Malformed is { } malformed)
            {
                // What a generated parser reports for bytes that are not the message.
                throw new RpcException(new Status(StatusCode.Internal, $"Failed to parse RingChunk {count}: {malformed}"));
            }

            if (chunk.Invalid is { } problem)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Invalid ring chunk {count}: {problem}"));
            }

            RingPiece piece = chunk.Piece!.Value;
            try
            {
                if (source is null)
                {
                    source = (chunk.JobId, chunk.FromRank);
                    inbox = GetInbox(chunk.JobId, chunk.FromRank).Writer;
                }
                else if (source != (chunk.JobId, chunk.FromRank))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument,
                        $"Invalid ring chunk {count}: job {chunk.JobId} from rank {chunk.FromRank} on a stream of job {source.Value.JobId} from rank {source.Value.FromRank} (one stream per job and sender)"));
                }

                await inbox!.WriteAsync(piece, context.CancellationToken);
            }
            catch
            {
                piece.Dispose();
                throw;
            }

            count++;
        }

        return new RingExchangeSummary { Chunks = count };
    }
}
