using DistributedTrainer.Tests.Rpc.Echo;
using DistributedTrainer.Transport;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Tests.Transport;

/// <summary>
/// test.v1.Echo, test.v1.Relay (no method implemented), health and reflection hosted the way every process of the
/// project hosts gRPC (<see cref="GrpcServerHosting"/>) on a loopback port, and a channel to it.
/// </summary>
internal sealed class EchoServer : IAsyncDisposable
{
    public const string EchoServiceName = "test.v1.Echo";
    public const string RelayServiceName = "test.v1.Relay";

    private readonly WebApplication _app;

    private EchoServer(WebApplication app)
    {
        _app = app;
        Address = app.BoundAddress();
        Echo = app.Services.GetRequiredService<EchoService>();
        Health = app.Services.GetRequiredService<GrpcHealth>();
    }

    public Uri Address { get; }

    public EchoService Echo { get; }

    public GrpcHealth Health { get; }

    /// <summary>Starts a server with <paramref name="options"/> (default: h2c, no token, 4 MiB limits).</summary>
    public static async Task<EchoServer> StartAsync(GrpcEndpointOptions? options = null)
    {
        WebApplicationBuilder builder = GrpcServerHosting.CreateBuilder(options ?? new GrpcEndpointOptions());
        builder.Services.AddSingleton<EchoService>();
        WebApplication app = builder.Build();
        app.MapGrpcService<EchoService>();
        app.MapGrpcService<RelayService>();
        app.MapGrpcInfrastructure(EchoServiceName, RelayServiceName);
        await app.StartAsync();
        return new EchoServer(app);
    }

    /// <summary>A channel to the server; the caller disposes it.</summary>
    public GrpcChannel Channel(GrpcChannelSettings? settings = null) => GrpcChannels.Create(Address, settings);

    /// <summary>Stops the host as a process does on SIGTERM: health turns NOT_SERVING, open calls end.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>test.v1.Relay with no method implemented: listed by reflection, every call UNIMPLEMENTED.</summary>
    private sealed class RelayService : Relay.RelayBase;
}
