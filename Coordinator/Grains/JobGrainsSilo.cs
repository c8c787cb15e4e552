using System.Net;
using System.Net.Sockets;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Coordinator.Sweeps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// The Orleans silo of the coordinator process, composed into its host: the job and sweep grains, their file storage on the
/// state directory, the protobuf codec, the job queue and the worker registry (one each), and the start-up step that
/// resumes unfinished jobs. Clustering is localhost on free ports, so coordinators and tests side by side never
/// meet on Orleans' default ports.
/// </summary>
internal static class JobGrainsSilo
{
    /// <summary>The name of the job grains' storage provider.</summary>
    public const string StorageName = "jobs";

    /// <summary>The name of the sweep grains' storage provider.</summary>
    public const string SweepStorageName = "sweeps";

    /// <summary>
    /// How long a job grain with no run (its job ended, or it was only read) stays active without calls: 2 minutes.
    /// Orleans' default of 15 held every job finished in the last quarter hour in memory, which under a steady stream
    /// of short jobs grew the coordinator for 15 minutes after each start (the chaos soak). A running job's grain stays
    /// active while its run goes on, whatever this is.
    /// </summary>
    public static readonly TimeSpan DefaultIdleJobCollectionAge = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Adds the silo and the job services to <paramref name="builder"/>. The host must not be started twice with one
    /// call: the silo's ports are picked here.
    /// </summary>
    /// <param name="builder">The coordinator's host (a WebApplicationBuilder or a HostApplicationBuilder).</param>
    /// <param name="paths">The state directory.</param>
    /// <param name="heartbeatInterval">How often workers heartbeat.</param>
    /// <param name="clusterBackends">Builds the backend of a job that runs on workers.</param>
    /// <param name="adversarialBackends">Builds the backend of a GAN job that runs on workers.</param>
    /// <param name="hosting">How the silo finds its cluster; <see cref="SiloHosting.Localhost"/> by default.</param>
    /// <param name="idleJobCollectionAge">How long an idle job grain without a run stays active; null: <see cref="DefaultIdleJobCollectionAge"/>.</param>
    /// <exception cref="ArgumentException">Kubernetes hosting without the pod's IP in <c>POD_IP</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="idleJobCollectionAge"/> is not positive.</exception>
    public static IHostApplicationBuilder AddJobGrains(this IHostApplicationBuilder builder, CoordinatorPaths paths,
        TimeSpan heartbeatInterval, ClusterBackendFactory clusterBackends, AdversarialBackendFactory adversarialBackends, SiloHosting hosting = SiloHosting.Localhost,
        TimeSpan? idleJobCollectionAge = null)
    {
        var collectionAge = idleJobCollectionAge ?? DefaultIdleJobCollectionAge;
        if (collectionAge <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(idleJobCollectionAge), collectionAge, "Invalid idle job collection age (must be positive)");
        }
        Directory.CreateDirectory(paths.JobsDirectory);
        // Orleans logs every silo start-up step at Information, and the Polly pipeline it places grains through logs every
        // attempt (two lines per job); the coordinator's own lines stay readable.
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            if (hosting == SiloHosting.Kubernetes)
            {
                // The pod's own ports: nothing else runs in it, and Kubernetes hosting listens on any address.
                var pod = PodAddress();
                silo.UseKubernetesHosting();
                // Kubernetes hosting takes the pod's IP only where nothing chose an address yet; Orleans' defaults
                // already chose the machine's first one, which need not be the pod's.
                silo.Configure<EndpointOptions>(endpoints => endpoints.AdvertisedIPAddress = pod);
                silo.UseDevelopmentClustering(new IPEndPoint(pod, EndpointOptions.DEFAULT_SILO_PORT));
            }
            else
            {
                silo.UseLocalhostClustering(siloPort: FreeLoopbackPort(), gatewayPort: 0, serviceId: "trainer", clusterId: "coordinator");
            }
            silo.Configure<GrainCollectionOptions>(collection =>
            {
                collection.ClassSpecificCollectionAge[typeof(JobGrain).FullName!] = collectionAge;
                // Orleans requires every collection age to exceed the quantum (how often it looks for idle grains).
                if (collectionAge <= collection.CollectionQuantum)
                {
                    collection.CollectionQuantum = collectionAge / 2;
                }
            });
            // A Jobs call's trace continues into the grain call it makes (spans only while a tracer listens).
            silo.AddActivityPropagation();
            silo.Services.AddSingleton<ProtobufCodec>();
            silo.Services.AddSingleton<IGeneralizedCodec>(services => services.GetRequiredService<ProtobufCodec>());
            silo.Services.AddSingleton<IGeneralizedCopier>(services => services.GetRequiredService<ProtobufCodec>());
            silo.Services.AddSingleton<ITypeFilter>(services => services.GetRequiredService<ProtobufCodec>());
            silo.Services.AddSingleton(new FileJobStorage(paths));
            silo.Services.AddGrainStorage<IGrainStorage>(StorageName, (services, _) => services.GetRequiredService<FileJobStorage>());
            silo.Services.AddSingleton(new FileSweepStorage(paths));
            silo.Services.AddGrainStorage<IGrainStorage>(SweepStorageName, (services, _) => services.GetRequiredService<FileSweepStorage>());
            silo.AddStartupTask(async (services, _) =>
            {
                var logger = services.GetRequiredService<JobRunServices>().Logger;
                int resumed = await services.GetRequiredService<JobIndex>().ResumeUnfinishedAsync();
                CoordinatorLog.JobsRecovered(logger, resumed);
                // After the jobs: a resumed sweep follows its trials' jobs, which are running again by now.
                int sweeps = await services.GetRequiredService<SweepIndex>().ResumeUnfinishedAsync();
                CoordinatorLog.SweepsRecovered(logger, sweeps);
            });
        });
        var services = builder.Services;
        services.AddSingleton(paths);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(clusterBackends);
        services.AddSingleton(provider => new WorkerRegistry(TimeProvider.System, heartbeatInterval, CoordinatorLogger(provider)));
        services.AddSingleton(provider => new JobQueue(provider.GetRequiredService<WorkerRegistry>(), CoordinatorLogger(provider)));
        services.AddSingleton<JobInputs>();
        services.AddSingleton<JobSubmissions>();
        services.AddSingleton<JobIndex>();
        services.AddSingleton<SweepIndex>();
        services.AddSingleton(provider => new JobRunServices(provider.GetRequiredService<JobQueue>(), provider.GetRequiredService<WorkerRegistry>(),
            clusterBackends, adversarialBackends, paths, provider.GetRequiredService<JobInputs>(), provider.GetRequiredService<JobRunShutdown>(),
            TimeProvider.System, CoordinatorLogger(provider)));
        // Registered after the silo, so it stops the runs before the silo stops (the host stops services in reverse).
        services.AddSingleton<JobRunShutdown>();
        services.AddHostedService(provider => provider.GetRequiredService<JobRunShutdown>());
        return builder;
    }

    /// <summary>True when <paramref name="failure"/> is the silo losing its port to another process between the pick and the bind; start again.</summary>
    public static bool IsPortCollision(Exception failure) =>
        failure is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
        || (failure.InnerException is { } inner && IsPortCollision(inner))
        || (failure is AggregateException aggregate && aggregate.InnerExceptions.Any(IsPortCollision));

    private static ILogger CoordinatorLogger(IServiceProvider provider) =>
        provider.GetRequiredService<ILoggerFactory>().CreateLogger("DistributedTrainer.Coordinator");

    /// <summary>The pod's IP, which the Helm chart passes in <c>POD_IP</c>.</summary>
    private static IPAddress PodAddress()
    {
        string? text = Environment.GetEnvironmentVariable(KubernetesHostingOptions.PodIPEnvironmentVariable);
        return IPAddress.TryParse(text, out var address)
            ? address
            : throw new ArgumentException($"Invalid {KubernetesHostingOptions.PodIPEnvironmentVariable}: '{text}' (--orleans-hosting kubernetes needs the pod's IP address; the Helm chart sets it)");
    }

    /// <summary>A port free on 127.0.0.1 now (Orleans needs a real port; 0 is refused).</summary>
    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
