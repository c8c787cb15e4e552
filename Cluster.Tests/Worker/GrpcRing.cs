using DistributedTrainer.Rpc;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Collective;

namespace DistributedTrainer.Tests.Worker;

/// <summary>A ring of in-process loopback GrpcHosts, each serving trainer.v1.Collective, linked by GrpcRingTransports.</summary>
internal sealed class GrpcRing : IAsyncDisposable
{
    /// <summary>What every host accepts and every channel sends at most: the gRPC default receive limit.</summary>
    public const int MessageLimit = 4 * 1024 * 1024;

    private readonly List<GrpcHost> _hosts = [];
    private readonly List<RpcChannel> _channels = [];
    private readonly List<GrpcRingTransport> _transports = [];

    private GrpcRing()
    {
    }

    public IReadOnlyList<GrpcRingTransport> Transports => _transports;

    public static async Task<GrpcRing> StartAsync(int size, string jobId = "j-1", int serverReceiveLimit = MessageLimit)
    {
        var ring = new GrpcRing();
        var services = new CollectiveService[size];
        for (int i = 0; i < size; i++)
        {
            services[i] = new CollectiveService();
            var router = new GrpcRouter(new GrpcServerOptions { MaxReceiveMessageSize = serverReceiveLimit });
            router.AddService(services[i].Definition);
            ring._hosts.Add(await GrpcHost.StartAsync(router));
        }

        for (int i = 0; i < size; i++)
        {
            var channel = new RpcChannel(ring._hosts[(i + 1) % size].Address, new RpcChannelOptions { MaxSendMessageSize = MessageLimit });
            ring._channels.Add(channel);
            ring._transports.Add(GrpcRingTransport.Open(services[i], channel, jobId, i, size));
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

        foreach (RpcChannel channel in _channels)
        {
            channel.Dispose();
        }

        foreach (GrpcHost host in _hosts)
        {
            await host.DisposeAsync();
        }
    }
}
