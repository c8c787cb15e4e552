using System.Collections.Concurrent;
using System.Threading.Channels;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// The worker's trainer.v1.Collective service: the receiving end of the ring. Each incoming Exchange stream
/// carries one job's pieces from one previous rank; they are queued in a bounded inbox per (job, sender) that
/// the local <see cref="GrpcRingTransport"/> reads. A full inbox stops reading the stream, so HTTP/2 flow
/// control holds the sender back rather than memory growing.
/// </summary>
public sealed class CollectiveService
{
    /// <summary>Pieces queued per (job, sender) before the stream waits: 8 pieces, 8 MiB at the default piece size.</summary>
    internal const int InboxCapacity = 8;

    private readonly ConcurrentDictionary<(string JobId, int FromRank), Channel<RingChunk>> _inboxes = new();

    public CollectiveService()
    {
        Definition = new GrpcServiceBuilder(CollectiveMethods.Service)
            .ClientStreaming<RingChunk, RingExchangeSummary>("Exchange", ExchangeAsync)
            .Build();
    }

    /// <summary>Add to the worker's <see cref="GrpcRouter"/>.</summary>
    public GrpcServiceDefinition Definition { get; }

    /// <summary>The queue of pieces of <paramref name="jobId"/> from <paramref name="fromRank"/>, created on first use by either side.</summary>
    internal ChannelReader<RingChunk> Inbox(string jobId, int fromRank) => GetInbox(jobId, fromRank).Reader;

    /// <summary>Forgets the queue (the transport that read it was disposed); a later stream starts a new one.</summary>
    internal void Remove(string jobId, int fromRank) => _inboxes.TryRemove((jobId, fromRank), out _);

    private Channel<RingChunk> GetInbox(string jobId, int fromRank) =>
        _inboxes.GetOrAdd((jobId, fromRank), static _ => Channel.CreateBounded<RingChunk>(
            new BoundedChannelOptions(InboxCapacity) { SingleReader = true, SingleWriter = true }));

    private async Task<RingExchangeSummary> ExchangeAsync(IAsyncStreamReader<RingChunk> requests, ServerCallContext context)
    {
        long count = 0;
        (string JobId, int FromRank)? source = null;
        ChannelWriter<RingChunk>? inbox = null;
        while (await requests.MoveNext(context.CancellationToken))
        {
            RingChunk chunk = requests.Current;
            if (RingChunkMapping.Problem(chunk) is { } problem)
            {
                throw new RpcException(StatusCode.InvalidArgument, $"Invalid ring chunk {count}: {problem}");
            }

            if (source is null)
            {
                source = (chunk.JobId, chunk.FromRank);
                inbox = GetInbox(chunk.JobId, chunk.FromRank).Writer;
            }
            else if (source != (chunk.JobId, chunk.FromRank))
            {
                throw new RpcException(StatusCode.InvalidArgument,
                    $"Invalid ring chunk {count}: job {chunk.JobId} from rank {chunk.FromRank} on a stream of job {source.Value.JobId} from rank {source.Value.FromRank} (one stream per job and sender)");
            }

            await inbox!.WriteAsync(chunk, context.CancellationToken);
            count++;
        }

        return new RingExchangeSummary { Chunks = count };
    }
}
