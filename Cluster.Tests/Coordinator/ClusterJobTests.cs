using DistributedTrainer.Checkpoints;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Cluster;
using DistributedTrainer.Worker;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>A real coordinator and real workers in this process, talking gRPC on loopback: registration to result.</summary>
public sealed class ClusterJobTests : IAsyncLifetime
{
    private readonly List<WorkerServer> _workers = [];
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }
        await _coordinator.DisposeAsync();
    }

    [Fact]
    public async Task SubmitJob_MinWorkersTwoWithTwoWorkersRegistering_SucceedsOnBothWithTheInProcessResult()
    {
        var spec = ClusterJobs.WriteSpec(_coordinator.Directory, epochs: 3);
        string local = await _coordinator.SubmitAsync(spec);
        await _coordinator.WatchToEndAsync(local);
        spec.MinWorkers = 2;

        string clustered = await _coordinator.SubmitAsync(spec);
        for (int i = 0; i < 2; i++)
        {
            _workers.Add(await WorkerServer.StartAsync(new WorkerOptions(_coordinator.Server.Address, Threads: 1)));
        }
        var events = await _coordinator.WatchToEndAsync(clustered);
        var expected = await _coordinator.GetAsync(local);
        var job = await _coordinator.GetAsync(clustered);

        Assert.Equal((JobState.Succeeded, 2), (job.State, job.Progress.Workers));
        // A watch opened after the job started gets the message in its first snapshot.
        Assert.Contains(events, e => (e.EventCase == JobEvent.EventOneofCase.Message && e.Message == "Running on w-1, w-2.")
            || (e.EventCase == JobEvent.EventOneofCase.Snapshot && e.Snapshot.Message == "Running on w-1, w-2."));
        Assert.Equal((expected.Result.TestAccuracy, expected.Result.TestLoss, expected.Result.Steps),
            (job.Result.TestAccuracy, job.Result.TestLoss, job.Result.Steps));
        Assert.Equal(expected.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss, e.TestAccuracy)),
            job.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss, e.TestAccuracy)));
        Assert.Equal(ModelBytes(local), ModelBytes(clustered));
    }

    /// <summary>The model file of the job's newest checkpoint.</summary>
    private byte[] ModelBytes(string jobId)
    {
        var checkpoints = new CheckpointStore(Path.Combine(_coordinator.Directory, "state", "jobs", jobId, "checkpoints"));
        return File.ReadAllBytes(Path.Combine(checkpoints.List()[0], CheckpointStore.ModelFile));
    }
}
