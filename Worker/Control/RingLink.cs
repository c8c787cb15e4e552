using DistributedTrainer.Rpc;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Collective;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// One generation of a job's ring as this worker sees it: the channel to the next rank, the ring transport over
/// it and the all-reduce on top. The ring id carries the generation, so pieces of an older ring (a peer that
/// still sends after the ring was re-formed) land in another inbox and never mix with this one.
/// </summary>
internal sealed class RingLink : IAsyncDisposable
{
    // Ring pieces are at most 1 MiB (RingOptions.MaxPieceBytes), far below the 4 MiB the peer accepts.
    private const int MessageLimit = 4 * 1024 * 1024;

    private readonly RpcChannel? _channel;
    private readonly GrpcRingTransport? _transport;

    private RingLink(long generation, RingAllReduce ring, RpcChannel? channel, GrpcRingTransport? transport)
    {
        Generation = generation;
        Ring = ring;
        _channel = channel;
        _transport = transport;
    }

    public long Generation { get; }

    public RingAllReduce Ring { get; }

    /// <summary>
    /// True once a collective failed or was cancelled half way: the stream may be broken or hold stale pieces,
    /// so only a new generation (PrepareJob) can go on.
    /// </summary>
    public bool Broken { get; set; }

    /// <summary>The ring id both ends of every link of this generation use.</summary>
    public static string RingId(string jobId, long generation) => $"{jobId}/g{generation}";

    /// <summary>Opens this rank's link of <paramref name="ring"/> (addresses by rank); a ring of one needs none.</summary>
    public static RingLink Open(CollectiveService local, string jobId, long generation, int rank, IReadOnlyList<Uri> ring)
    {
        if (ring.Count == 1)
        {
            return new RingLink(generation, new RingAllReduce(InProcessRingTransport.CreateRing(1)[0], 0, 1), null, null);
        }
        var channel = new RpcChannel(ring[(rank + 1) % ring.Count], new RpcChannelOptions { MaxSendMessageSize = MessageLimit });
        try
        {
            var transport = GrpcRingTransport.Open(local, channel, RingId(jobId, generation), rank, ring.Count);
            return new RingLink(generation, new RingAllReduce(transport, rank, ring.Count), channel, transport);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }
        _channel?.Dispose();
    }
}
