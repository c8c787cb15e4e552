using DistributedTrainer.Transport;
using DistributedTrainer.Rpc.Internal;
using DistributedTrainer.Transport.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Rpc;

/// <summary>
/// A Kestrel server that serves one <see cref="GrpcRouter"/> on one endpoint, with the gRPC limits applied;
/// for tests and small processes. Processes with more endpoints configure their own WebApplication with
/// <see cref="GrpcKestrel"/> and <see cref="GrpcApplicationBuilderExtensions.UseGrpc"/>.
/// </summary>
public sealed class GrpcHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c> (<c>https</c> with a certificate).</summary>
    public Uri Address { get; }

    /// <summary>The bound port (the one chosen by the system when the options asked for 0).</summary>
    public int Port => Address.Port;

    /// <summary>The host's services (logging, lifetime).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts serving <paramref name="router"/> and returns once the port is bound.</summary>
    public static async Task<GrpcHost> StartAsync(GrpcRouter router, GrpcHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(router);
        options ??= new GrpcHostOptions();
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        // Without the zero-byte read that waits for data before taking a buffer, every socket read is one system
        // call instead of two; the cost is one idle 4 KiB block per connection, and a cluster has few connections.
        builder.WebHost.UseSockets(sockets => sockets.WaitForDataBeforeAllocatingBuffer = false);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.ApplyGrpcLimits();
            kestrel.Listen(options.BindAddress, options.Port, listen => listen.UseGrpcProtocols(options.Certificate));
        });
        builder.Services.AddLogging(logging => options.ConfigureLogging?.Invoke(logging));
        // Kestrel's 4 KiB blocks cap each socket read at 4 KiB: 256 receive calls and pipe segments per MiB of a
        // large message. 64 KiB blocks cut the server's CPU per GiB received by about 40% (docs/BENCHMARKS.md).
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        WebApplication app = builder.Build();
        app.UseGrpc(router);
        await app.StartAsync(cancellationToken);

        string bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new GrpcHost(app, new Uri(bound));
    }

    /// <summary>Stops accepting calls, cancels the ones in flight (they end with UNAVAILABLE) and waits for them.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
