using DistributedTrainer.Diagnostics;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Faults;
using Grpc.Net.Client;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// One generation of a job's ring as this worker sees it: the channel to the previous rank, the ring transport over
/// it and the all-reduce on top. The ring id carries the generation, so an older ring's subscriptions (a peer that
/// still sends after the ring was re-formed) are other streams and never mix with this one.
/// </summary>
internal sealed class RingLink : IAsyncDisposable
{
    /// <summary>
    /// The channel to the previous rank: its pieces, at most 1 MiB (RingOptions.MaxPieceBytes), far below the 4 MiB
    /// this rank accepts, come as one long response stream.
    /// </summary>
    public static readonly GrpcChannelSettings ChannelSettings = new() { MaxReceiveMessageSize = 4 * 1024 * 1024, LargeResponseStreams = true };

    private readonly IRingTransport _ring;
    private readonly int _rank;
    private readonly int _size;
    private readonly GrpcChannel? _channel;
    private readonly GrpcRingTransport? _transport;
    private RingAllReduce? _allReduce;
    private TimeSpan _pieceTimeout;

    private RingLink(long generation, IRingTransport ring, int rank, int size, GrpcChannel? channel, GrpcRingTransport? transport)
    {
        Generation = generation;
        _ring = ring;
        _rank = rank;
        _size = size;
        _channel = channel;
        _transport = transport;
    }

    public long Generation { get; }

    /// <summary>
    /// True once a collective failed or was cancelled half way: the stream may be broken or hold stale pieces,
    /// so only a new generation (PrepareJob) can go on.
    /// </summary>
    public bool Broken { get; set; }

    /// <summary>The ring id both ends of every link of this generation use.</summary>
    public static string RingId(string jobId, long generation) => $"{jobId}/g{generation}";

    /// <summary>
    /// The all-reduce over this link whose pieces each wait at most <paramref name="pieceTimeout"/> (the step's
    /// ring_timeout_ms); zero: the ring's default. Kept while the timeout stays the same.
    /// </summary>
    public RingAllReduce Ring(TimeSpan pieceTimeout)
    {
        if (_allReduce is null || _pieceTimeout != pieceTimeout)
        {
            var options = pieceTimeout > TimeSpan.Zero ? new RingOptions { PieceTimeout = pieceTimeout } : new RingOptions();
            _allReduce = new RingAllReduce(_ring, _rank, _size, options);
            _pieceTimeout = pieceTimeout;
        }
        return _allReduce;
    }

    /// <summary>
    /// Opens this rank's link of <paramref name="ring"/> (addresses by rank); a ring of one needs none. The sends
    /// go through <paramref name="faults"/> when any are set; <paramref name="token"/> (the workers' bearer token, null
    /// for none) goes with the subscription, as the previous rank requires it.
    /// </summary>
    public static RingLink Open(CollectiveService local, string jobId, long generation, int rank, IReadOnlyList<Uri> ring, WorkerFaults faults, string? token)
    {
        if (ring.Count == 1)
        {
            return new RingLink(generation, InProcessRingTransport.CreateRing(1)[0], 0, 1, null, null);
        }
        var channel = GrpcChannels.Create(ring[(rank + ring.Count - 1) % ring.Count], ChannelSettings);
        try
        {
            var transport = GrpcRingTransport.Open(local, channel, RingId(jobId, generation), rank, ring.Count, BearerToken.Headers(token),
                movedToSharedMemory: () => TrainingMetrics.RecordRingLinkInSharedMemory(jobId));
            IRingTransport sending = faults.HasRingFaults ? new FaultyRingTransport(transport, faults) : transport;
            return new RingLink(generation, sending, rank, ring.Count, channel, transport);
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
