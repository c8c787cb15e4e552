using DistributedTrainer.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Tests.Worker;

/// <summary>A Grpc.AspNetCore server on 127.0.0.1 set up as the processes set theirs up (<see cref="GrpcServerHosting"/>), serving what the test maps.</summary>
internal sealed class LoopbackGrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackGrpcServer(WebApplication app)
    {
        _app = app;
        Address = app.BoundAddress();
    }

    public Uri Address { get; }

    /// <param name="services">Registers the service instances.</param>
    /// <param name="map">Maps the services, e.g. <c>app.MapGrpcService&lt;T&gt;()</c>.</param>
    /// <param name="options">Port, token and limits; default: a free port, no token, 4 MiB messages.</param>
    public static async Task<LoopbackGrpcServer> StartAsync(Action<IServiceCollection> services, Action<WebApplication> map, GrpcEndpointOptions? options = null)
    {
        var builder = GrpcServerHosting.CreateBuilder(options ?? new GrpcEndpointOptions());
        services(builder.Services);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new LoopbackGrpcServer(app);
    }

    /// <summary>Stops as a process does on SIGTERM: health NOT_SERVING, a short drain, open calls ended with UNAVAILABLE.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        // Cut the streams still open (ring streams end only when their sender closes them).
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }
}
