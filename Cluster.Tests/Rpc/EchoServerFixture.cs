using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>A loopback server with Echo, Relay (no method bound), health and reflection, and a channel to it; one per test class.</summary>
public sealed class EchoServerFixture : IAsyncLifetime, IAsyncDisposable
{
    public const int MaxMessageSize = 1024 * 1024;

    private GrpcHost? _host;
    private RpcChannel? _channel;

    internal EchoService Echo { get; } = new();

    public HealthService Health { get; } = new();

    public GrpcHost Host => _host ?? throw new InvalidOperationException("Fixture not initialized");

    public RpcChannel Channel => _channel ?? throw new InvalidOperationException("Fixture not initialized");

    public async Task InitializeAsync()
    {
        var router = new GrpcRouter(new GrpcServerOptions { MaxReceiveMessageSize = MaxMessageSize });
        router.AddService(Echo.Definition)
            .AddService(new GrpcServiceBuilder(RelayReflection.Descriptor.Services[0]).Build())
            .AddService(Health.Definition)
            .AddService(new ReflectionService(router).Definition);
        _host = await GrpcHost.StartAsync(router);
        _channel = new RpcChannel(_host.Address);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
