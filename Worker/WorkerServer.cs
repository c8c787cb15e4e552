using System.Diagnostics;
using System.Net;
using DistributedTrainer.Data;
using DistributedTrainer.Devices;
using DistributedTrainer.Numerics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Control;
using DistributedTrainer.Worker.Direct;
using DistributedTrainer.Worker.Faults;
using DistributedTrainer.Worker.Registration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Worker;

/// <summary>
/// A running worker: trainer.v1.WorkerControl, trainer.v1.Collective, grpc.health.v1 and reflection on one port
/// (Grpc.AspNetCore on Kestrel, <see cref="GrpcServerHosting"/>), and, with a coordinator, the registration that keeps
/// it known there.
/// </summary>
internal sealed class WorkerServer : IAsyncDisposable
{
    // How often a leaving worker looks whether its job released it.
    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(50);

    private readonly WebApplication _app;
    private readonly WorkerControlService _control;
    private readonly CoordinatorRegistration? _registration;
    private readonly ILoggerFactory _loggers;
    private readonly Uri? _coordinator;
    private int _disposed;

    private WorkerServer(WebApplication app, Uri address, Uri advertised, WorkerControlService control, CoordinatorRegistration? registration,
        ILoggerFactory loggers, Uri? coordinator)
    {
        _coordinator = coordinator;
        _app = app;
        Address = address;
        AdvertisedAddress = advertised;
        _control = control;
        _registration = registration;
        _loggers = loggers;
    }

    /// <summary>The bound address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Address { get; }

    /// <summary>Where the coordinator and ring peers reach the worker: --advertise, or the bound address.</summary>
    public Uri AdvertisedAddress { get; }

    /// <summary>The id the coordinator gave this worker; null while not registered or without a coordinator.</summary>
    public string? WorkerId => _registration?.WorkerId;

    /// <summary>Serves on the options' host and port and, with a coordinator, starts registering with it.</summary>
    /// <exception cref="IOException">The address cannot be bound (port taken, address not local).</exception>
    /// <exception cref="TimeoutException">The options' coordinator file did not appear in time.</exception>
    /// <exception cref="ArgumentException">The options' coordinator file does not hold an http(s) URL.</exception>
    /// <exception cref="DeviceUnavailableException">The options' device (<c>--device cuda:N</c>) is not on this machine.</exception>
    public static async Task<WorkerServer> StartAsync(WorkerOptions options, Action<ILoggingBuilder>? logging = null)
    {
        // Checked before anything listens: a worker that cannot compute must not register.
        string? device = options.Device.Kind == ComputeDeviceKind.Cpu ? null : DeviceAccelerator.Probe(options.Device);
        var loggers = LoggerFactory.Create(builder => logging?.Invoke(builder));
        var logger = loggers.CreateLogger("DistributedTrainer.Worker");
        int threads = options.Threads > 0 ? options.Threads : ComputeThreads.Count;

        // The coordinator's calls and the ring peers' streams carry the token (the workers of a cluster share it);
        // health stays open for probes.
        var collective = new CollectiveService(options.RingSharedMemoryDirectory);
        var control = new WorkerControlService(collective, threads, new FaultDrill(options.Faults), options.Token, logger,
            options.DataRoots is null ? null : new DataRoots(options.DataRoots), DeviceShardRunners.For(options.Device), options.ShardBoardDirectory);
        var builder = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions
        {
            BindAddress = options.Host ?? IPAddress.Loopback,
            Port = options.Port,
            Token = options.Token,
            ConfigureLogging = logging,
            // The next rank's subscription to this worker's ring pieces and the coordinator's Step calls, written without
            // Kestrel's copies.
            CleartextConnections = (next, context) =>
                DirectCalls.Middleware(next, context, DirectRingStream.Method(collective), DirectStepStream.Method(control)),
        });
        builder.Services.AddSingleton(collective);
        builder.Services.AddSingleton(control);
        var app = builder.Build();
        app.MapGrpcInfrastructure(WorkerControl.Descriptor.FullName, Protos.V1.Collective.Descriptor.FullName);
        app.MapGrpcService<WorkerControlService>();
        app.MapGrpcService<CollectiveService>();
        Uri? coordinator = options.Coordinator;
        Uri address;
        try
        {
            await app.StartAsync();
            address = app.BoundAddress();
            WorkerLog.Listening(logger, address, options.Advertise ?? address, threads, options.Token is null ? "off" : "bearer token");
            if (options.Cpus is not null)
            {
                // Read back from the kernel, so that the line says what it applies, not what was asked.
                string confined = CpuAffinity.Format(CpuAffinity.Allowed());
                WorkerLog.ConfinedToCpus(logger, confined);
            }
            if (options.RingSharedMemoryDirectory is { } inboxes)
            {
                WorkerLog.RingSharedMemory(logger, inboxes);
            }
            if (options.CoordinatorFile is { } file)
            {
                // Serving already: the wait overlaps the coordinator's start-up. Registered once its address is known.
                coordinator = await CoordinatorAddressFile.WaitAsync(file, options.CoordinatorFileTimeout, CancellationToken.None);
            }
        }
        catch
        {
            await app.DisposeAsync();
            await control.DisposeAsync();
            loggers.Dispose();
            throw;
        }
        var advertised = options.Advertise ?? address;
        if (device is not null)
        {
            WorkerLog.ComputingOn(logger, device);
        }
        var registration = coordinator is null
            ? null
            : CoordinatorRegistration.Start(coordinator,
                new RegisterWorkerRequest { Address = advertised.ToString().TrimEnd('/'), Threads = threads, Name = options.Name ?? "" },
                options.Token, options.MaxRetryDelay, logger);
        return new WorkerServer(app, address, advertised, control, registration, loggers, coordinator);
    }

    /// <summary>
    /// Leaves the cluster gracefully (SIGTERM): stops heartbeating, tells the coordinator, and waits up to
    /// <paramref name="drain"/> for the job this worker holds to release it at its next step boundary, so the step in
    /// flight finishes here and is not re-run. Does not wait when the coordinator did not know the worker or could not be
    /// reached (nobody will release it). Call <see cref="DisposeAsync"/> afterwards.
    /// </summary>
    public async Task LeaveAsync(TimeSpan drain)
    {
        if (_registration is null)
        {
            return;
        }
        bool known = await _registration.LeaveAsync();
        var logger = _loggers.CreateLogger("DistributedTrainer.Worker");
        if (!known)
        {
            WorkerLog.LeavingWithoutRelease(logger, _coordinator!);
            return;
        }
        if (_control.HeldJobId is not { } holding)
        {
            WorkerLog.LeavingWithNoJob(logger, _coordinator!);
            return;
        }
        WorkerLog.Leaving(logger, _coordinator!, drain, holding);
        var waited = Stopwatch.StartNew();
        while (_control.HeldJobId is not null && waited.Elapsed < drain)
        {
            await Task.Delay(DrainPoll);
        }
        if (_control.HeldJobId is { } held)
        {
            WorkerLog.DrainTimedOut(logger, held, drain);
        }
    }

    /// <summary>Stops registering, cuts the calls in flight (ring streams never end by themselves), then frees the job the worker holds.</summary>
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
        // A cancelled token: Kestrel aborts the open streams at once instead of waiting for the peers to end them.
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
        await _control.DisposeAsync();
        _loggers.Dispose();
    }
}
