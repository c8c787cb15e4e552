using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using ClusterRpc = DistributedTrainer.Protos.V1.Cluster;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>An in-process coordinator on a loopback port over a temporary state directory, and generated clients of its services.</summary>
internal sealed class TestCoordinator : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private readonly string? _token;
    private readonly string? _clusterToken;

    private TestCoordinator(CoordinatorServer server, string directory, string? token, string? clusterToken)
    {
        Server = server;
        Directory = directory;
        _token = token;
        _clusterToken = clusterToken;
        Channel = GrpcChannels.Create(server.Address);
        Jobs = new JobsRpc.JobsClient(Channel);
        Cluster = new ClusterRpc.ClusterClient(Channel);
    }

    public CoordinatorServer Server { get; }

    /// <summary>The temporary directory: data and specs at its root, coordinator state under <c>state/</c>.</summary>
    public string Directory { get; }

    public GrpcChannel Channel { get; }

    /// <summary>trainer.v1.Jobs of the coordinator.</summary>
    public JobsRpc.JobsClient Jobs { get; }

    /// <summary>trainer.v1.Cluster of the coordinator.</summary>
    public ClusterRpc.ClusterClient Cluster { get; }

    /// <param name="token">Bearer token the coordinator requires; none when null.</param>
    /// <param name="logs">Receives the coordinator's logs.</param>
    /// <param name="clusterBackends">Backend of jobs placed on workers; null: the gRPC cluster backend.</param>
    /// <param name="heartbeatIntervalMs">Worker heartbeat interval (long, for workers that never heartbeat).</param>
    public static Task<TestCoordinator> StartAsync(string? token = null, ILoggerProvider? logs = null,
        ClusterBackendFactory? clusterBackends = null, int heartbeatIntervalMs = CoordinatorOptions.DefaultHeartbeatIntervalMs) =>
        StartAsync(options => options with { Token = token, ClientToken = token, ClusterToken = token, HeartbeatIntervalMs = heartbeatIntervalMs },
            logs, clusterBackends);

    /// <summary>
    /// A coordinator whose options <paramref name="configure"/> sets from the defaults (state under <c>state/</c>, data
    /// read from <see cref="Directory"/>); the client calls present its client token.
    /// </summary>
    public static async Task<TestCoordinator> StartAsync(Func<CoordinatorOptions, CoordinatorOptions> configure, ILoggerProvider? logs = null,
        ClusterBackendFactory? clusterBackends = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        string directory = System.IO.Directory.CreateTempSubdirectory("dt-coordinator-").FullName;
        var options = configure(new CoordinatorOptions(Path.Combine(directory, "state")) { DataRoots = [directory] });
        var server = await CoordinatorServer.StartAsync(options,
            logs is null ? null : builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(logs), clusterBackends);
        return new TestCoordinator(server, directory, options.ClientToken, options.ClusterToken);
    }

    /// <summary>Call options with the client token (when the coordinator has one) and a timeout.</summary>
    public CallOptions Call() => new(BearerToken.Headers(_token), DateTime.UtcNow + CallTimeout);

    /// <summary>Call options of the cluster services: the cluster token (when the coordinator has one) and a timeout.</summary>
    public CallOptions ClusterCall() => new(BearerToken.Headers(_clusterToken), DateTime.UtcNow + CallTimeout);

    public async Task<string> SubmitAsync(JobSpec spec) => (await Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }, Call())).JobId;

    /// <summary>Registers a worker at <paramref name="address"/> over the Cluster API; returns its id.</summary>
    public async Task<string> RegisterWorkerAsync(string address, int threads = 1, string name = "") =>
        (await Cluster.RegisterAsync(new RegisterWorkerRequest { Address = address, Threads = threads, Name = name }, ClusterCall())).WorkerId;

    public async Task<Job> GetAsync(string jobId) => await Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, Call());

    /// <summary>Every event of one watch, to the end of the stream.</summary>
    public async Task<List<JobEvent>> WatchToEndAsync(string jobId)
    {
        using var call = Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, Call());
        var events = new List<JobEvent>();
        await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
        {
            events.Add(jobEvent);
        }
        return events;
    }

    /// <summary>The state a watch ended in: its last state event, or its snapshot's when the job had ended before the watch began.</summary>
    public static JobState FinalState(IReadOnlyList<JobEvent> events) =>
        events.LastOrDefault(e => e.EventCase == JobEvent.EventOneofCase.State)?.State ?? events[0].Snapshot.State;

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Server.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
