using System.Net;
using DistributedTrainer.Numerics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Control;
using DistributedTrainer.Worker.Faults;
using DistributedTrainer.Worker.Registration;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Worker;

/// <summary>
/// A running worker: trainer.v1.WorkerControl, trainer.v1.Collective, grpc.health.v1 and reflection on one port,
/// and, with a coordinator, the registration that keeps it known there.
/// </summary>
internal sealed class WorkerServer : IAsyncDisposable
{
    private const string WorkerControlServiceName = "trainer.v1.WorkerControl";
    private const string CollectiveServiceName = "trainer.v1.Collective";
    private readonly GrpcHost _host;
    private readonly WorkerControlService _control;
    private readonly CoordinatorRegistration? _registration;
    private readonly ILoggerFactory _loggers;
    private int _disposed;

    private WorkerServer(GrpcHost host, Uri advertised, WorkerControlService control, CoordinatorRegistration? registration, ILoggerFactory loggers)
    {
        _host = host;
        AdvertisedAddress = advertised;
        _control = control;
        _registration = registration;
        _loggers = loggers;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address => _host.Address;

    /// <summary>Where the coordinator and ring peers reach the worker: --advertise, or the bound address.</summary>
    public Uri AdvertisedAddress { get; }

    /// <summary>The id the coordinator gave this worker; null while not registered or without a coordinator.</summary>
    public string? WorkerId => _registration?.WorkerId;

    /// <summary>Serves on the options' host and port and, with a coordinator, starts registering with it.</summary>
    public static async Task<WorkerServer> StartAsync(WorkerOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var loggers = LoggerFactory.Create(builder => logging?.Invoke(builder));
        var logger = loggers.CreateLogger("DistributedTrainer.Worker");
        int threads = options.Threads > 0 ? options.Threads : ComputeThreads.Count;

        // The coordinator's calls and the ring peers' streams carry the token (the workers of a cluster share it);
        // health stays open for probes.
        var router = new GrpcRouter(new GrpcServerOptions
        {
            Interceptor = options.Token is null ? null : BearerTokenAuth.Create(options.Token, "grpc.health.v1.Health"),
        });
        var collective = new CollectiveService();
        var control = new WorkerControlService(collective, threads, new FaultDrill(options.Faults), options.Token, logger);
        var health = new HealthService();
        health.SetStatus(WorkerControlServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(CollectiveServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        router.AddService(control.Definition);
        router.AddService(collective.Definition);
        router.AddService(health.Definition);
        router.AddService(new ReflectionService(router).Definition);

        GrpcHost host;
        try
        {
            host = await GrpcHost.StartAsync(router, new GrpcHostOptions
            {
                BindAddress = options.Host ?? IPAddress.Loopback,
                Port = options.Port,
                ConfigureLogging = logging,
            });
        }
        catch
        {
            loggers.Dispose();
            throw;
        }
        var advertised = options.Advertise ?? host.Address;
        WorkerLog.Listening(logger, host.Address, advertised, threads, options.Token is null ? "off" : "bearer token");
        var registration = options.Coordinator is null
            ? null
            : CoordinatorRegistration.Start(options.Coordinator,
                new RegisterWorkerRequest { Address = advertised.ToString().TrimEnd('/'), Threads = threads, Name = options.Name ?? "" },
                options.Token, options.MaxRetryDelay, logger);
        return new WorkerServer(host, advertised, control, registration, loggers);
    }

    /// <summary>Stops registering and serving, then frees the job the worker holds.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (_registration is not null)
        {
            await _registration.DisposeAsync();
        }
        await _host.DisposeAsync();
        await _control.DisposeAsync();
        _loggers.Dispose();
    }
}
