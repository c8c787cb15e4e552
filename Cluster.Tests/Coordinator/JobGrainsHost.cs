using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Training.Adversarial;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>The coordinator's silo alone (no gRPC) over a temporary state directory: grain tests call the job grains directly.</summary>
internal sealed class JobGrainsHost : IAsyncDisposable
{
    private readonly IHost _host;

    private JobGrainsHost(IHost host, string directory)
    {
        _host = host;
        Directory = directory;
    }

    /// <summary>The temporary directory: data and specs at its root, coordinator state under <c>state/</c>.</summary>
    public string Directory { get; }

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public WorkerRegistry Workers => _host.Services.GetRequiredService<WorkerRegistry>();

    public FileJobStorage Storage => _host.Services.GetRequiredService<FileJobStorage>();

    public JobInputs Inputs => _host.Services.GetRequiredService<JobInputs>();

    /// <param name="clusterBackends">Backend of jobs placed on workers.</param>
    /// <param name="idleJobCollectionAge">How long an idle job grain without a run stays active; null: the coordinator's default.</param>
    public static async Task<JobGrainsHost> StartAsync(ClusterBackendFactory clusterBackends, TimeSpan? idleJobCollectionAge = null)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("dt-grains-").FullName;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // Registrations never heartbeat here: an hour-long interval keeps them alive for the test.
        builder.AddJobGrains(new CoordinatorPaths(Path.Combine(directory, "state")), TimeSpan.FromHours(1), clusterBackends,
            (_, spec, data, generator, discriminator, _, _) => new LocalAdversarialBackend(spec, generator, discriminator, data),
            idleJobCollectionAge: idleJobCollectionAge);
        var host = builder.Build();
        await host.StartAsync();
        return new JobGrainsHost(host, directory);
    }

    public IJobGrain Grain(string jobId) => Grains.GetGrain<IJobGrain>(jobId);

    /// <summary>Stops the host as a coordinator shutting down does; the state directory stays until disposal.</summary>
    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
