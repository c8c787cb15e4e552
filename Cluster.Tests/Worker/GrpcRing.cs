using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Direct;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Tests.Worker;

/// <summary>A ring of in-process loopback servers, each serving trainer.v1.Collective, linked by GrpcRingTransports.</summary>
internal sealed class GrpcRing : IAsyncDisposable
{
    /// <summary>What every receiving channel accepts at most: the gRPC default receive limit.</summary>
    public const int MessageLimit = 4 * 1024 * 1024;

    private readonly List<LoopbackGrpcServer> _servers = [];
    private readonly List<GrpcChannel> _channels = [];
    private readonly List<GrpcRingTransport> _transports = [];
    private int _linksInSharedMemory;

    private GrpcRing()
    {
    }

    public IReadOnlyList<GrpcRingTransport> Transports => _transports;

    /// <summary>Links whose previous rank moved them into the receiver's shared-memory inbox so far.</summary>
    public int LinksInSharedMemory => Volatile.Read(ref _linksInSharedMemory);

    /// <summary>Each rank's server, which the next rank subscribes to.</summary>
    public IReadOnlyList<LoopbackGrpcServer> Servers => _servers;

    /// <param name="largeResponseStreams">The receiving channels' <see cref="GrpcChannelSettings.LargeResponseStreams"/>: true (the workers' setting) or false (SocketsHttpHandler).</param>
    /// <param name="direct">Whether the servers serve lean subscriptions with <see cref="DirectCalls"/>, as workers do.</param>
    /// <param name="kestrelService">Whether the servers map the Collective service on Kestrel, as workers do; false leaves the direct path alone.</param>
    /// <param name="token">The servers' bearer token; null for none.</param>
    /// <param name="subscriberToken">The token the subscriptions present; null for none.</param>
    /// <param name="sharedMemory">Each rank's shared-memory directory (<c>Worker --ring-shared-memory</c>); none when null.</param>
    public static async Task<GrpcRing> StartAsync(int size, string jobId = "j-1", int receiveLimit = MessageLimit, bool largeResponseStreams = true,
        bool direct = true, bool kestrelService = true, string? token = null, string? subscriberToken = null, Func<int, string?>? sharedMemory = null)
    {
        var ring = new GrpcRing();
        var services = new CollectiveService[size];
        for (int i = 0; i < size; i++)
        {
            var service = services[i] = new CollectiveService(sharedMemory?.Invoke(i));
            var options = new GrpcEndpointOptions
            {
                Token = token,
                CleartextConnections = direct ? (next, context) => DirectCalls.Middleware(next, context, DirectRingStream.Method(service)) : null,
            };
            ring._servers.Add(await LoopbackGrpcServer.StartAsync(s => s.AddSingleton(service), app =>
            {
                // As the worker's server: a stopping server ends its calls, on either path.
                app.MapGrpcInfrastructure();
                if (kestrelService)
                {
                    app.MapGrpcService<CollectiveService>();
                }
            }, options));
        }

        for (int i = 0; i < size; i++)
        {
            var channel = GrpcChannels.Create(ring._servers[(i + size - 1) % size].Address, new GrpcChannelSettings { MaxReceiveMessageSize = receiveLimit, LargeResponseStreams = largeResponseStreams });
            ring._channels.Add(channel);
            ring._transports.Add(GrpcRingTransport.Open(services[i], channel, jobId, i, size, BearerToken.Headers(subscriberToken),
                () => Interlocked.Increment(ref ring._linksInSharedMemory)));
        }

        return ring;
    }

    public RingAllReduce[] Ranks(RingOptions? options = null) =>
        [.. _transports.Select((t, rank) => new RingAllReduce(t, rank, _transports.Count, options))];

    public async ValueTask DisposeAsync()
    {
        foreach (GrpcRingTransport transport in _transports)
        {
            await transport.DisposeAsync();
        }

        foreach (GrpcChannel channel in _channels)
        {
            channel.Dispose();
        }

        foreach (LoopbackGrpcServer server in _servers)
        {
            await server.DisposeAsync();
        }
    }
}
