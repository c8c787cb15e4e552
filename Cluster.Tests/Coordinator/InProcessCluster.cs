using System.Diagnostics;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// Real coordinators and workers in this process over gRPC on loopback, in a temporary directory: coordinators on
/// state directories below it (a restart reuses the port and the state), workers that find a restarted coordinator
/// within a second. Everything started is stopped, and the directory deleted, on dispose.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(120);
    private readonly List<WorkerServer> _workers = [];
    private readonly List<CoordinatorServer> _coordinators = [];

    /// <summary>Every worker started, in order; disposed ones stay listed.</summary>
    public IReadOnlyList<WorkerServer> Workers => _workers;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("dt-cluster-").FullName;

    /// <summary>
    /// Starts a coordinator on <paramref name="state"/> below <see cref="Directory"/>; port 0 picks a free one;
    /// <paramref name="configure"/> changes the options further (a dashboard, a client token).
    /// </summary>
    public async Task<CoordinatorServer> StartCoordinatorAsync(string state = "state", int port = 0,
        Func<CoordinatorOptions, CoordinatorOptions>? configure = null)
    {
        var options = new CoordinatorOptions(Path.Combine(Directory, state), Port: port, HeartbeatIntervalMs: 500) { DataRoots = [Directory] };
        var server = await CoordinatorServer.StartAsync(configure is null ? options : configure(options));
        _coordinators.Add(server);
        return server;
    }

    /// <summary>
    /// Starts <paramref name="count"/> workers that register with <paramref name="coordinator"/> and waits until they
    /// have. Only the new ones are waited for: one disposed earlier may have lost its id for good (told it was unknown
    /// just before its coordinator stopped). Taking too long fails the test naming what is missing. The workers compute on
    /// <paramref name="device"/> (default the SIMD kernels).
    /// </summary>
    public async Task StartWorkersAsync(CoordinatorServer coordinator, int count, TimeSpan? limit = null, ComputeDevice? device = null)
    {
        var wait = limit ?? TimeSpan.FromSeconds(60);
        int expected = coordinator.Workers.LiveCount + count;
        var started = new List<WorkerServer>();
        for (int i = 0; i < count; i++)
        {
            started.Add(await WorkerServer.StartAsync(new WorkerOptions(coordinator.Address, Threads: 1)
            {
                MaxRetryDelay = TimeSpan.FromMilliseconds(300),
                Device = device ?? ComputeDevice.Cpu,
            }));
        }
        _workers.AddRange(started);
        var waiting = Stopwatch.StartNew();
        while (coordinator.Workers.LiveCount < expected || started.Any(worker => worker.WorkerId is null))
        {
            Assert.True(waiting.Elapsed < wait,
                $"{coordinator.Workers.LiveCount} of {expected} workers registered within {wait.TotalSeconds} s; {started.Count(worker => worker.WorkerId is null)} new ones without an id");
            await Task.Delay(50);
        }
    }

    public static async Task<string> SubmitAsync(CoordinatorServer coordinator, JobSpec spec)
    {
        using var channel = GrpcChannels.Create(coordinator.Address);
        return (await new JobsRpc.JobsClient(channel).SubmitJobAsync(new SubmitJobRequest { Spec = spec }, Deadline())).JobId;
    }

    public static async Task<Job> GetAsync(CoordinatorServer coordinator, string jobId)
    {
        using var channel = GrpcChannels.Create(coordinator.Address);
        return await new JobsRpc.JobsClient(channel).GetJobAsync(new GetJobRequest { JobId = jobId }, Deadline());
    }

    public string CheckpointDirectory(string jobId, string state = "state") => Path.Combine(Directory, state, "jobs", jobId, "checkpoints");

    /// <summary>The model file of the job's newest checkpoint.</summary>
    public byte[] ModelBytes(string jobId, string state = "state") =>
        File.ReadAllBytes(Path.Combine(new CheckpointStore(CheckpointDirectory(jobId, state)).List()[0], CheckpointStore.ModelFile));

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }
        foreach (var coordinator in _coordinators)
        {
            await coordinator.DisposeAsync();
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow + CallTimeout);
}
