using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;
using ClusterRpc = DistributedTrainer.Protos.V1.Cluster;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>Placing jobs on registered workers, through the Jobs and Cluster APIs of a real coordinator; the workers are registrations only and the backend is fake.</summary>
public sealed class JobSchedulerTests : IAsyncLifetime
{
    private const string WorkerA = "http://127.0.0.1:6001";
    private const string WorkerB = "http://127.0.0.1:6002";
    private readonly FakeClusterBackends _backends = new();
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await Start(_backends.Local);

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    // Registrations never heartbeat here: an hour-long interval keeps them alive for the test.
    private static Task<TestCoordinator> Start(ClusterBackendFactory backends) =>
        TestCoordinator.StartAsync(clusterBackends: backends, heartbeatIntervalMs: 3_600_000);

    private JobSpec Spec(int minWorkers, int maxWorkers = 0, int epochs = 2)
    {
        var spec = TestJobs.Spec(_coordinator.Directory, epochs);
        spec.MinWorkers = minWorkers;
        spec.MaxWorkers = maxWorkers;
        return spec;
    }

    [Fact]
    public async Task SubmitJob_MinWorkersTwo_WaitsForWorkersUntilTwoRegisterThenRunsOnBoth()
    {
        string jobId = await _coordinator.SubmitAsync(Spec(minWorkers: 2));
        using var watch = new JobStatusWatch(_coordinator, jobId);
        await watch.UntilAsync(JobState.WaitingForWorkers, "waiting for workers: 0 of 2 registered");

        await _coordinator.RegisterWorkerAsync(WorkerA);
        await watch.UntilAsync(JobState.WaitingForWorkers, "waiting for workers: 1 of 2 registered");
        var waiting = await _coordinator.GetAsync(jobId);
        var listed = await _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), _coordinator.Call());
        await _coordinator.RegisterWorkerAsync(WorkerB);
        var messages = await watch.ToEndAsync();
        var job = await _coordinator.GetAsync(jobId);

        Assert.Equal((JobState.WaitingForWorkers, "waiting for workers: 1 of 2 registered"), (waiting.State, waiting.Message));
        Assert.Equal(JobState.WaitingForWorkers, listed.Jobs.Single().State);
        Assert.Equal((JobState.Succeeded, 2), (job.State, job.Progress.Workers));
        Assert.Contains("Running on w-1, w-2.", messages);
        Assert.Equal(["w-1", "w-2"], _backends.Placements[jobId]);
    }

    [Fact]
    public async Task CancelJob_WaitingForWorkers_CancelledAtOnce()
    {
        string jobId = await _coordinator.SubmitAsync(Spec(minWorkers: 2));
        using var watch = new JobStatusWatch(_coordinator, jobId);
        await watch.UntilAsync(JobState.WaitingForWorkers, "waiting for workers: 0 of 2 registered");

        var cancelled = await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId }, _coordinator.Call());
        await watch.ToEndAsync();

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(JobState.Cancelled, watch.State);
    }

    [Fact]
    public async Task CancelJob_RunningOnWorkers_Cancelled()
    {
        await _coordinator.RegisterWorkerAsync(WorkerA);
        string jobId = await _coordinator.SubmitAsync(Spec(minWorkers: 1, epochs: 10_000));
        using var watch = new JobStatusWatch(_coordinator, jobId);
        await watch.UntilAsync(JobState.Running, "Running on w-1.");

        await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId }, _coordinator.Call());
        await watch.ToEndAsync();

        Assert.Equal(JobState.Cancelled, watch.State);
    }

    [Fact]
    public async Task SubmitJob_WorkerBusy_SecondJobQueuedUntilTheFirstEnds()
    {
        await _coordinator.RegisterWorkerAsync(WorkerA);
        string first = await _coordinator.SubmitAsync(Spec(minWorkers: 1, epochs: 10_000));
        using var firstWatch = new JobStatusWatch(_coordinator, first);
        await firstWatch.UntilAsync(JobState.Running, "Running on w-1.");
        string second = await _coordinator.SubmitAsync(Spec(minWorkers: 1));
        using var secondWatch = new JobStatusWatch(_coordinator, second);
        await secondWatch.UntilAsync(JobState.Queued, "waiting for free workers: 0 of 1 free, the others run other jobs");

        await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = first }, _coordinator.Call());
        var messages = await secondWatch.ToEndAsync();

        Assert.Equal(JobState.Succeeded, secondWatch.State);
        Assert.Contains("Running on w-1.", messages);
    }

    [Fact]
    public async Task SubmitJob_MaxWorkersOne_UsesOneOfTwoWorkers()
    {
        await _coordinator.RegisterWorkerAsync(WorkerA);
        await _coordinator.RegisterWorkerAsync(WorkerB);

        string jobId = await _coordinator.SubmitAsync(Spec(minWorkers: 0, maxWorkers: 1));
        await _coordinator.WatchToEndAsync(jobId);
        var job = await _coordinator.GetAsync(jobId);

        Assert.Equal((JobState.Succeeded, 1), (job.State, job.Progress.Workers));
        Assert.Equal(["w-1"], _backends.Placements[jobId]);
    }

    [Fact]
    public async Task SubmitJob_MinWorkersZeroAndNoWorkers_TrainsInTheCoordinator()
    {
        string jobId = await _coordinator.SubmitAsync(Spec(minWorkers: 0));
        await _coordinator.WatchToEndAsync(jobId);
        var job = await _coordinator.GetAsync(jobId);

        Assert.Equal((JobState.Succeeded, 1), (job.State, job.Progress.Workers));
        Assert.Empty(_backends.Placements);
    }

    [Fact]
    public async Task SubmitJob_BackendLosesAWorker_FailedNamingItAndTheWorkersAreFreedForTheNextJob()
    {
        // The specs' data is in the first coordinator's directory: this one reads it from there too.
        await using var coordinator = await TestCoordinator.StartAsync(options => options with
        {
            HeartbeatIntervalMs = 3_600_000,
            DataRoots = [_coordinator.Directory],
        }, clusterBackends: _backends.LosingTheLastWorker);
        await coordinator.RegisterWorkerAsync(WorkerA);
        await coordinator.RegisterWorkerAsync(WorkerB);

        string failing = await coordinator.SubmitAsync(Spec(minWorkers: 2));
        await coordinator.WatchToEndAsync(failing);
        var failed = await coordinator.GetAsync(failing);
        string next = await coordinator.SubmitAsync(Spec(minWorkers: 2));
        await coordinator.WatchToEndAsync(next);

        Assert.Equal((JobState.Failed, "worker w-2 (rank 1) failed step 0 (step): connection refused"), (failed.State, failed.Message));
        Assert.Equal(["w-1", "w-2"], _backends.Placements[next]);
    }

    [Fact]
    public async Task Restart_ClusterJobRunning_WaitsForWorkersAgainThenResumesFromItsCheckpoint()
    {
        string directory = Directory.CreateTempSubdirectory("dt-cluster-restart-").FullName;
        try
        {
            var options = new CoordinatorOptions(Path.Combine(directory, "state"), HeartbeatIntervalMs: 3_600_000) { DataRoots = [directory] };
            var spec = TestJobs.Spec(directory, epochs: 40, trainRows: 2000);
            spec.MinWorkers = 1;
            string jobId;
            await using (var first = await CoordinatorServer.StartAsync(options, clusterBackends: _backends.Local))
            using (var channel = GrpcChannels.Create(first.Address))
            {
                await new ClusterRpc.ClusterClient(channel).RegisterAsync(new RegisterWorkerRequest { Address = WorkerA, Threads = 1 }, Timeout());
                jobId = (await new JobsRpc.JobsClient(channel).SubmitJobAsync(new SubmitJobRequest { Spec = spec }, Timeout())).JobId;
                using var call = new JobsRpc.JobsClient(channel).WatchJob(new WatchJobRequest { JobId = jobId }, Timeout());
                await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
                {
                    if (jobEvent.EventCase == JobEvent.EventOneofCase.Epoch && jobEvent.Epoch.Epoch >= 2)
                    {
                        break;
                    }
                }
            }

            await using var second = await CoordinatorServer.StartAsync(options, clusterBackends: _backends.Local);
            using var again = GrpcChannels.Create(second.Address);
            using var watch = new JobsRpc.JobsClient(again).WatchJob(new WatchJobRequest { JobId = jobId }, Timeout());
            var messages = new List<string>();
            while (!messages.Contains("waiting for workers: 0 of 1 registered") && await watch.ResponseStream.MoveNext())
            {
                messages.Add(watch.ResponseStream.Current.EventCase == JobEvent.EventOneofCase.Snapshot
                    ? watch.ResponseStream.Current.Snapshot.Message
                    : watch.ResponseStream.Current.Message);
            }
            await new ClusterRpc.ClusterClient(again).RegisterAsync(new RegisterWorkerRequest { Address = WorkerA, Threads = 1 }, Timeout());
            await foreach (var jobEvent in watch.ResponseStream.ReadAllAsync())
            {
                messages.Add(jobEvent.Message);
            }
            var job = await new JobsRpc.JobsClient(again).GetJobAsync(new GetJobRequest { JobId = jobId }, Timeout());

            Assert.Contains("Resumed after a coordinator restart. Running on w-1.", messages);
            Assert.Contains(messages, message => message.StartsWith("Resumed at step ", StringComparison.Ordinal));
            Assert.Equal((JobState.Succeeded, 40), (job.State, job.Result.Epochs));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static CallOptions Timeout() => new(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(60));
}
