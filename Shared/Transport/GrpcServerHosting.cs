using DistributedTrainer.Transport.Internal;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistributedTrainer.Transport;

/// <summary>
/// The one way this project's processes host gRPC: a <see cref="WebApplication"/> with Grpc.AspNetCore on one
/// HTTP/2-only Kestrel endpoint (limits for long streams, large flow-control windows), the bearer-token
/// interceptor, message-size limits, grpc.health.v1 (NOT_SERVING once the host starts stopping) and server
/// reflection (v1 and v1alpha). The caller adds its own services and maps them before starting.
/// </summary>
public static class GrpcServerHosting
{
    /// <summary>A builder with Kestrel, gRPC, health and reflection configured from <paramref name="options"/>.</summary>
    public static WebApplicationBuilder CreateBuilder(GrpcEndpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        BearerTokenPolicy? tokens = options.Token is not null || options.ServiceTokens.Values.Any(token => token is not null)
            ? new BearerTokenPolicy(options.Token, options.ServiceTokens, options.OpenServices)
            : null;
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        // Without the zero-byte read that waits for data before taking a buffer, every socket read is one system
        // call instead of two; the cost is one idle block per connection, and a cluster has few connections.
        builder.WebHost.UseSockets(sockets => sockets.WaitForDataBeforeAllocatingBuffer = false);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.ApplyGrpcLimits();
            kestrel.Listen(options.BindAddress, options.Port, listen =>
            {
                listen.UseGrpcProtocols(options.Certificate);
                if (options.Certificate is null && options.CleartextConnections is { } middleware)
                {
                    // The pipeline is built when the server starts, once its services exist.
                    listen.Use(next => middleware(next,
                        new CleartextConnectionContext(tokens, listen.ApplicationServices.GetRequiredService<CallShutdown>())));
                }
            });
        });
        // Kestrel's 4 KiB blocks cap each socket read at 4 KiB: 256 receive calls and pipe segments per MiB of a
        // large message. 64 KiB blocks cut the server's CPU per GiB received by about 40% (docs/BENCHMARKS.md).
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.Services.AddRouting();
        builder.Services.AddLogging(logging => options.ConfigureLogging?.Invoke(logging));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
            grpc.MaxSendMessageSize = options.MaxSendMessageSize;
            // Handlers throw RpcException with messages written for the caller; anything else says no more than its type.
            grpc.EnableDetailedErrors = false;
            if (tokens is not null)
            {
                grpc.Interceptors.Add<BearerTokenInterceptor>(tokens);
            }
            grpc.Interceptors.Add<ServerStoppingInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton<GrpcHealth>();
        builder.Services.AddSingleton<CallShutdown>();
        builder.Services.AddSingleton(services => services.GetRequiredService<GrpcHealth>().Service);
        return builder;
    }

    /// <summary>
    /// Maps health and reflection, marks <paramref name="services"/> (and the server as a whole) SERVING now and
    /// NOT_SERVING as soon as the host starts stopping, and shortly after ends open calls with UNAVAILABLE.
    /// </summary>
    public static WebApplication MapGrpcInfrastructure(this WebApplication app, params string[] services)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRouting();
        app.Use(ServerStoppingInterceptor.LinkToShutdown);
        var health = app.Services.GetRequiredService<GrpcHealth>();
        var shutdown = app.Services.GetRequiredService<CallShutdown>();
        health.Serve(services);
        app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() =>
        {
            health.StopServing();
            shutdown.Begin();
        });
        app.MapGrpcService<Grpc.HealthCheck.HealthServiceImpl>();
        app.MapGrpcReflectionService();
        return app;
    }

    /// <summary>The bound address of a started <paramref name="app"/>, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public static Uri BoundAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        string bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new Uri(bound);
    }
}
