using System.Net;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Dashboard;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Services;
using DistributedTrainer.Data;
using DistributedTrainer.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator;

/// <summary>
/// A running coordinator: one generic host with trainer.v1.Jobs, trainer.v1.Sweeps, trainer.v1.Cluster, grpc.health.v1 and reflection on
/// one port (Grpc.AspNetCore, see <see cref="GrpcServerHosting"/>) and the Orleans silo of the job grains
/// (<see cref="JobGrainsSilo"/>), which run their jobs. Jobs left QUEUED, WAITING_FOR_WORKERS or RUNNING in the state
/// directory resume when the silo starts.
/// </summary>
internal sealed class CoordinatorServer : IAsyncDisposable
{
    /// <summary>The full name of trainer.v1.Jobs, as health and reflection report it.</summary>
    public const string JobsServiceName = "trainer.v1.Jobs";

    /// <summary>The full name of trainer.v1.Sweeps.</summary>
    public const string SweepsServiceName = "trainer.v1.Sweeps";

    /// <summary>The full name of trainer.v1.Cluster.</summary>
    public const string ClusterServiceName = "trainer.v1.Cluster";

    /// <summary>The log category of the coordinator's own messages (jobs, workers).</summary>
    public const string LogCategory = "DistributedTrainer.Coordinator";

    // The silo's port is picked free just before it binds; another process may take it in between (rare).
    private const int StartAttempts = 3;

    private readonly WebApplication _app;
    private int _disposed;

    private CoordinatorServer(WebApplication app, Uri address, Uri? dashboardAddress)
    {
        _app = app;
        Address = address;
        DashboardAddress = dashboardAddress;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; }

    /// <summary>The web dashboard's address (HTTP/1.1, its own port), e.g. <c>http://127.0.0.1:41235</c>; null without <see cref="CoordinatorOptions.DashboardPort"/>.</summary>
    public Uri? DashboardAddress { get; }

    /// <summary>The workers registered with this coordinator.</summary>
    public WorkerRegistry Workers => _app.Services.GetRequiredService<WorkerRegistry>();

    /// <summary>Starts serving.</summary>
    /// <param name="options">Port, state directory, credentials.</param>
    /// <param name="logging">Log providers; none when null.</param>
    /// <param name="clusterBackends">Builds the backend of a job running on workers; null: the gRPC cluster backend.</param>
    public static async Task<CoordinatorServer> StartAsync(CoordinatorOptions options, Action<ILoggingBuilder>? logging = null,
        ClusterBackendFactory? clusterBackends = null)
    {
        for (int attempt = 1; ; attempt++)
        {
            WebApplication app = CreateBuilder(options, logging, clusterBackends).Build();
            try
            {
                app.MapGrpcService<JobsService>();
                app.MapGrpcService<SweepsService>();
                app.MapGrpcService<ClusterService>();
                app.MapGrpcInfrastructure(JobsServiceName, SweepsServiceName, ClusterServiceName);
                if (options.DashboardPort is not null)
                {
                    app.MapDashboard(options.ClientToken, options.EffectiveTelemetryDirectory());
                }
                await app.StartAsync();
            }
            catch (Exception failure) when (attempt < StartAttempts && JobGrainsSilo.IsPortCollision(failure))
            {
                await app.DisposeAsync();
                continue;
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }
            Uri address = app.BoundAddress();
            Uri? dashboard = app.Services.GetRequiredService<DashboardListener>().Address(options.TlsCertificate is not null);
            ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
            string authentication = Authentication(options);
            string dataRoots = string.Join(", ", app.Services.GetRequiredService<DataRoots>().Directories);
            CoordinatorLog.Listening(logger, address, options.StateDirectory, authentication);
            CoordinatorLog.DataRoots(logger, dataRoots);
            if (dashboard is not null)
            {
                CoordinatorLog.Dashboard(logger, dashboard);
            }
            return new CoordinatorServer(app, address, dashboard);
        }
    }

    /// <summary>
    /// The coordinator's host before it is built: Kestrel, gRPC, health and reflection from <see cref="GrpcServerHosting"/>,
    /// and the silo of the job grains with the registry and the queue.
    /// </summary>
    internal static WebApplicationBuilder CreateBuilder(CoordinatorOptions options, Action<ILoggingBuilder>? logging,
        ClusterBackendFactory? clusterBackends)
    {
        X509Certificate2? certificate = options.TlsCertificate is null
            ? null
            : X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
        // The Jobs and Sweeps APIs (and reflection) take the client token, the Cluster service the cluster token: a client that may
        // submit jobs cannot register as a worker, and a worker's token cannot submit or read jobs.
        WebApplicationBuilder builder = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions
        {
            BindAddress = options.Host ?? IPAddress.Loopback,
            Port = options.Port,
            Certificate = certificate,
            Token = options.ClientToken,
            ServiceTokens = new Dictionary<string, string?>(StringComparer.Ordinal) { [ClusterServiceName] = options.ClusterToken },
            ConfigureLogging = logging,
        });
        var dashboard = new DashboardListener();
        if (options.DashboardPort is { } dashboardPort)
        {
            // A second endpoint, HTTP/1.1: without TLS Kestrel cannot offer HTTP/1.1 and HTTP/2 on one port (no ALPN), and
            // the gRPC endpoint must stay HTTP/2 only (docs: /work/shared/notes/grpc-on-kestrel.md).
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Host ?? IPAddress.Loopback, dashboardPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
                dashboard.Attach(listen);
            }));
        }
        builder.Services.AddDashboard(dashboard);
        var paths = new CoordinatorPaths(options.StateDirectory);
        // A transfer may also start from one of this coordinator's own job checkpoints.
        builder.Services.AddSingleton(new DataRoots(options.EffectiveDataRoots(), [paths.JobsDirectory]));
        builder.Services.AddSingleton(new CallerQuotas(options.Limits));
        // Workers require the cluster token on WorkerControl, as the coordinator requires it on Register.
        var backendOptions = new ClusterBackendOptions { Token = options.ClusterToken };
        clusterBackends ??= (jobId, spec, data, model, pool, onEvent) =>
            new ClusterGradientBackend(jobId, spec, data, model, pool, backendOptions, onEvent);
        builder.AddJobGrains(paths, TimeSpan.FromMilliseconds(options.HeartbeatIntervalMs), clusterBackends,
            (jobId, spec, data, generator, discriminator, pool, onEvent) =>
                new ClusterGradientBackend(jobId, spec, data, generator, discriminator, pool, backendOptions, onEvent),
            options.Silo);
        return builder;
    }

    private static string Authentication(CoordinatorOptions options) =>
        $"{(options.ClientToken is null ? "off" : "bearer token")} on Jobs, {(options.ClusterToken is null ? "off" : "bearer token")} on Cluster";

    /// <summary>
    /// Stops serving (health NOT_SERVING, open calls end with UNAVAILABLE), then the running jobs at a step boundary (they
    /// stay RUNNING and resume at the next start), then the silo.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
