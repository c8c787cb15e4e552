using System.Net;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Coordinator.Services;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator;

/// <summary>
/// A running coordinator: trainer.v1.Jobs, trainer.v1.Cluster, grpc.health.v1 and reflection on one port, the job
/// grains, the worker registry, and the queue that places and trains their jobs. Jobs left QUEUED,
/// WAITING_FOR_WORKERS or RUNNING in the state directory are queued again at start.
/// </summary>
internal sealed class CoordinatorServer : IAsyncDisposable
{
    private const string JobsServiceName = "trainer.v1.Jobs";
    private const string ClusterServiceName = "trainer.v1.Cluster";
    private readonly GrpcHost _host;
    private readonly JobScheduler _scheduler;
    private readonly JobGrainHost _grains;
    private readonly WorkerRegistry _registry;
    private readonly ILoggerFactory _loggers;
    private int _disposed;

    private CoordinatorServer(GrpcHost host, JobScheduler scheduler, JobGrainHost grains, WorkerRegistry registry, ILoggerFactory loggers)
    {
        _host = host;
        _scheduler = scheduler;
        _grains = grains;
        _registry = registry;
        _loggers = loggers;
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
        var loggers = LoggerFactory.Create(builder => logging?.Invoke(builder));
        var logger = loggers.CreateLogger("DistributedTrainer.Coordinator");
        var paths = new CoordinatorPaths(options.StateDirectory);
        Directory.CreateDirectory(paths.JobsDirectory);
        var stopSignals = new JobStopSignals();
        var grains = new JobGrainHost(new FileJobStorage(paths), stopSignals, TimeProvider.System, logger);
        var registry = new WorkerRegistry(TimeProvider.System, TimeSpan.FromMilliseconds(options.HeartbeatIntervalMs), logger);
        // Workers require the coordinator's token on WorkerControl, as the coordinator requires it on Register.
        var backendOptions = new ClusterBackendOptions { Token = options.Token };
        clusterBackends ??= (jobId, spec, data, model, pool, onEvent) =>
            new ClusterGradientBackend(jobId, spec, data, model, pool, backendOptions, onEvent);
        var scheduler = new JobScheduler(grains, stopSignals, registry, clusterBackends, paths, logger);

        var unfinished = (await grains.ListAsync())
            .Where(job => job.State is JobState.Queued or JobState.WaitingForWorkers or JobState.Running)
            .OrderBy(job => job.CreatedUnixMs)
            .ToList();
        foreach (var job in unfinished)
        {
            scheduler.Enqueue(job.JobId, job.Spec);
        }
        CoordinatorLog.JobsRecovered(logger, unfinished.Count);

        var router = new GrpcRouter(new GrpcServerOptions
        {
            Interceptor = options.Token is null ? null : BearerTokenAuth.Create(options.Token, "grpc.health.v1.Health"),
        });
        var health = new HealthService();
        health.SetStatus(JobsServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(ClusterServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        router.AddService(new JobsService(grains, scheduler, paths, logger).Definition());
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
        return new CoordinatorServer(host, scheduler, grains, registry, loggers);
    }

    /// <summary>Stops serving, then stops the running job at a step boundary (it stays RUNNING and resumes at the next start).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _host.DisposeAsync();
        await _scheduler.DisposeAsync();
        _registry.Dispose();
        _grains.Close();
        _loggers.Dispose();
    }
}
