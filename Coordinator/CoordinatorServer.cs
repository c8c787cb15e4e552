using System.Net;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Coordinator.Services;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator;

/// <summary>
/// A running coordinator: trainer.v1.Jobs, trainer.v1.Cluster, grpc.health.v1 and reflection on one port, and the
/// Orleans silo of the job grains (<see cref="JobGrainsSilo"/>), which run their jobs. Jobs left QUEUED,
/// WAITING_FOR_WORKERS or RUNNING in the state directory resume at start.
/// </summary>
internal sealed class CoordinatorServer : IAsyncDisposable
{
    private const string JobsServiceName = "trainer.v1.Jobs";
    private const string ClusterServiceName = "trainer.v1.Cluster";
    private readonly GrpcHost _host;
    private readonly IHost _silo;
    private readonly WorkerRegistry _registry;
    private int _disposed;

    private CoordinatorServer(GrpcHost host, IHost silo, WorkerRegistry registry)
    {
        _host = host;
        _silo = silo;
        _registry = registry;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address => _host.Address;

    /// <summary>The workers registered with this coordinator.</summary>
    public WorkerRegistry Workers => _registry;

    /// <summary>Starts serving.</summary>
    /// <param name="options">Port, state directory, credentials.</param>
    /// <param name="logging">Log providers; none when null.</param>
    /// <param name="clusterBackends">Builds the backend of a job running on workers; null: the gRPC cluster backend.</param>
    public static async Task<CoordinatorServer> StartAsync(CoordinatorOptions options, Action<ILoggingBuilder>? logging = null,
        ClusterBackendFactory? clusterBackends = null)
    {
        var paths = new CoordinatorPaths(options.StateDirectory);
        // Workers require the coordinator's token on WorkerControl, as the coordinator requires it on Register.
        var backendOptions = new ClusterBackendOptions { Token = options.Token };
        clusterBackends ??= (jobId, spec, data, model, pool, onEvent) =>
            new ClusterGradientBackend(jobId, spec, data, model, pool, backendOptions, onEvent);
        var silo = await StartSiloAsync(paths, TimeSpan.FromMilliseconds(options.HeartbeatIntervalMs), clusterBackends, logging);
        var logger = silo.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DistributedTrainer.Coordinator");
        var registry = silo.Services.GetRequiredService<WorkerRegistry>();

        var router = new GrpcRouter(new GrpcServerOptions
        {
            Interceptor = options.Token is null ? null : BearerTokenAuth.Create(options.Token, "grpc.health.v1.Health"),
        });
        var health = new HealthService();
        health.SetStatus(JobsServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(ClusterServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        router.AddService(new JobsService(silo.Services.GetRequiredService<IGrainFactory>(), silo.Services.GetRequiredService<JobIndex>(),
            silo.Services.GetRequiredService<JobInputs>(), paths, logger).Definition());
        router.AddService(new ClusterService(registry, logger).Definition());
        router.AddService(health.Definition);
        router.AddService(new ReflectionService(router).Definition);

        X509Certificate2? certificate = options.TlsCertificate is null
            ? null
            : X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
        var host = await GrpcHost.StartAsync(router, new GrpcHostOptions
        {
            BindAddress = options.Host ?? IPAddress.Loopback,
            Port = options.Port,
            Certificate = certificate,
            ConfigureLogging = logging,
        });
        CoordinatorLog.Listening(logger, host.Address, paths.StateDirectory, options.Token is null ? "off" : "bearer token");
        return new CoordinatorServer(host, silo, registry);
    }

    /// <summary>Starts the silo; picks its port again in the rare case another process took it between the pick and the bind.</summary>
    private static async Task<IHost> StartSiloAsync(CoordinatorPaths paths, TimeSpan heartbeatInterval, ClusterBackendFactory clusterBackends,
        Action<ILoggingBuilder>? logging)
    {
        for (int attempt = 1; ; attempt++)
        {
            // Empty: no configuration files or default log providers to load; the coordinator takes its settings from flags.
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            logging?.Invoke(builder.Logging);
            builder.AddJobGrains(paths, heartbeatInterval, clusterBackends);
            var silo = builder.Build();
            try
            {
                await silo.StartAsync();
                return silo;
            }
            catch (Exception failure) when (attempt < 3 && JobGrainsSilo.IsPortCollision(failure))
            {
                silo.Dispose();
            }
        }
    }

    /// <summary>Stops serving, then stops the running job at a step boundary (it stays RUNNING and resumes at the next start).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _host.DisposeAsync();
        await _silo.StopAsync();
        _silo.Dispose();
    }
}
