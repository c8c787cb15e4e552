using System.Net;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Coordinator.Services;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator;

/// <summary>
/// A running coordinator: one ASP.NET Core host serving trainer.v1.Jobs, trainer.v1.Cluster, grpc.health.v1 and
/// reflection on one port (Grpc.AspNetCore, see <see cref="GrpcServerHosting"/>), with the job grains, the worker
/// registry and the queue that places and trains their jobs as singletons of its container. Jobs left QUEUED,
/// WAITING_FOR_WORKERS or RUNNING in the state directory are queued again before it listens.
/// </summary>
internal sealed class CoordinatorServer : IAsyncDisposable
{
    /// <summary>The full name of trainer.v1.Jobs, as health and reflection report it.</summary>
    public const string JobsServiceName = "trainer.v1.Jobs";

    /// <summary>The full name of trainer.v1.Cluster.</summary>
    public const string ClusterServiceName = "trainer.v1.Cluster";

    /// <summary>The log category of the coordinator's own messages (jobs, workers).</summary>
    public const string LogCategory = "DistributedTrainer.Coordinator";

    private readonly WebApplication _app;
    private int _disposed;

    private CoordinatorServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; }

    /// <summary>The workers registered with this coordinator.</summary>
    public WorkerRegistry Workers => _app.Services.GetRequiredService<WorkerRegistry>();

    /// <summary>Starts serving.</summary>
    /// <param name="options">Port, state directory, credentials.</param>
    /// <param name="logging">Log providers; none when null.</param>
    /// <param name="clusterBackends">Builds the backend of a job running on workers; null: the gRPC cluster backend.</param>
    public static async Task<CoordinatorServer> StartAsync(CoordinatorOptions options, Action<ILoggingBuilder>? logging = null,
        ClusterBackendFactory? clusterBackends = null)
    {
        WebApplication app = CreateBuilder(options, logging, clusterBackends).Build();
        try
        {
            await RequeueUnfinishedAsync(app.Services);
            app.MapGrpcService<JobsService>();
            app.MapGrpcService<ClusterService>();
            app.MapGrpcInfrastructure(JobsServiceName, ClusterServiceName);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        Uri address = app.BoundAddress();
        string stateDirectory = app.Services.GetRequiredService<CoordinatorPaths>().StateDirectory;
        ILogger logger = Logger(app.Services);
        CoordinatorLog.Listening(logger, address, stateDirectory, options.Token is null ? "off" : "bearer token");
        return new CoordinatorServer(app, address);
    }

    /// <summary>
    /// The coordinator's host before it is built: Kestrel, gRPC, health and reflection from <see cref="GrpcServerHosting"/>,
    /// and the coordinator's domain services. Hosts that add to the process (e.g. <c>builder.Host.UseOrleans(...)</c>)
    /// add to this builder.
    /// </summary>
    internal static WebApplicationBuilder CreateBuilder(CoordinatorOptions options, Action<ILoggingBuilder>? logging,
        ClusterBackendFactory? clusterBackends)
    {
        X509Certificate2? certificate = options.TlsCertificate is null
            ? null
            : X509Certificate2.CreateFromPemFile(options.TlsCertificate, options.TlsKey);
        WebApplicationBuilder builder = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions
        {
            BindAddress = options.Host ?? IPAddress.Loopback,
            Port = options.Port,
            Certificate = certificate,
            Token = options.Token,
            ConfigureLogging = logging,
        });
        AddDomainServices(builder.Services, options, clusterBackends);
        return builder;
    }

    /// <summary>Stops serving, then stops the running job at a step boundary (it stays RUNNING and resumes at the next start).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        // Stopping marks health NOT_SERVING and ends open calls with UNAVAILABLE; disposing the container then
        // disposes the scheduler (it stops the running job, which still reports to its grain) before the registry.
        var grains = _app.Services.GetRequiredService<JobGrainHost>();
        await _app.StopAsync();
        await _app.DisposeAsync();
        grains.Close();
    }

    /// <summary>The job grains, the worker registry and the scheduler, one of each per coordinator.</summary>
    private static void AddDomainServices(IServiceCollection services, CoordinatorOptions options, ClusterBackendFactory? clusterBackends)
    {
        var paths = new CoordinatorPaths(options.StateDirectory);
        Directory.CreateDirectory(paths.JobsDirectory);
        // Workers require the coordinator's token on WorkerControl, as the coordinator requires it on Register.
        var backendOptions = new ClusterBackendOptions { Token = options.Token };
        clusterBackends ??= (jobId, spec, data, model, pool, onEvent) =>
            new ClusterGradientBackend(jobId, spec, data, model, pool, backendOptions, onEvent);

        services.AddSingleton(paths);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<JobStopSignals>();
        services.AddSingleton(provider => new JobGrainHost(new FileJobStorage(paths), provider.GetRequiredService<JobStopSignals>(),
            provider.GetRequiredService<TimeProvider>(), Logger(provider)));
        services.AddSingleton(provider => new WorkerRegistry(provider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromMilliseconds(options.HeartbeatIntervalMs), Logger(provider)));
        services.AddSingleton(provider => new JobScheduler(provider.GetRequiredService<JobGrainHost>(), provider.GetRequiredService<JobStopSignals>(),
            provider.GetRequiredService<WorkerRegistry>(), clusterBackends, paths, Logger(provider)));
    }

    private static ILogger Logger(IServiceProvider provider) => provider.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);

    private static async Task RequeueUnfinishedAsync(IServiceProvider services)
    {
        var grains = services.GetRequiredService<JobGrainHost>();
        var scheduler = services.GetRequiredService<JobScheduler>();
        var unfinished = (await grains.ListAsync())
            .Where(job => job.State is JobState.Queued or JobState.WaitingForWorkers or JobState.Running)
            .OrderBy(job => job.CreatedUnixMs)
            .ToList();
        foreach (var job in unfinished)
        {
            scheduler.Enqueue(job.JobId, job.Spec);
        }
        ILogger logger = Logger(services);
        CoordinatorLog.JobsRecovered(logger, unfinished.Count);
    }
}
