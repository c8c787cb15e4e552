using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using DistributedTrainer.Tests.Cluster;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// GAN jobs submitted to a real coordinator in this process, trained in the coordinator itself or on real workers over
/// gRPC on loopback: the same networks and sample grids, bitwise, also when a worker is lost mid-job.
/// </summary>
public sealed class AdversarialClusterJobTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly InProcessCluster _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    // xUnit 2 calls IAsyncLifetime.DisposeAsync on a test class, never IAsyncDisposable's.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task GanJob_InTheCoordinatorAndOnTwoWorkers_SucceedsWithBitwiseTheSameNetworksAndSamples()
    {
        var coordinator = await _cluster.StartCoordinatorAsync();
        var spec = ClusterGanJobs.WriteSpec(_cluster.Directory);
        string local = await RunToEndAsync(coordinator, spec);
        spec.MinWorkers = 2;
        await _cluster.StartWorkersAsync(coordinator, 2);

        string clustered = await RunToEndAsync(coordinator, spec);

        var expected = await InProcessCluster.GetAsync(coordinator, local);
        var actual = await InProcessCluster.GetAsync(coordinator, clustered);
        Assert.Equal((JobState.Succeeded, JobState.Succeeded), (expected.State, actual.State));
        Assert.Equal((9L, 4L), (actual.Result.Steps, actual.Result.GeneratorSteps));
        Assert.Equal((expected.Result.DiscriminatorLoss, expected.Result.GeneratorLoss), (actual.Result.DiscriminatorLoss, actual.Result.GeneratorLoss));
        Assert.Equal(_cluster.ModelBytes(local), _cluster.ModelBytes(clustered));
        Assert.Equal(File.ReadAllBytes(SamplesFile(local)), File.ReadAllBytes(SamplesFile(clustered)));
        Assert.Equal(3, actual.Epochs.Count);
    }

    [Fact]
    public async Task GanJob_OneOfThreeWorkersKilledMidJob_CompletesOnTheOthersBitwiseEqualToTheInProcessRun()
    {
        var coordinator = await _cluster.StartCoordinatorAsync();
        // 10 epochs of 3 critic updates: the watch, which may lag, sees step 5 long before the job's last step.
        var spec = ClusterGanJobs.WriteSpec(_cluster.Directory, epochs: 10);
        spec.FaultTolerance = new FaultToleranceSpec { DeadlineFloorSeconds = 2, DeadlineCeilingSeconds = 8 };
        string local = await RunToEndAsync(coordinator, spec);
        spec.MinWorkers = 2;
        await _cluster.StartWorkersAsync(coordinator, 3);

        string clustered = await InProcessCluster.SubmitAsync(coordinator, spec);
        var killed = _cluster.Workers[1];
        string killedId = killed.WorkerId!;
        var events = await ElasticClusterJobTests.WatchAsync(coordinator, clustered,
            jobEvent => jobEvent.Step?.Step >= 5 ? killed.DisposeAsync().AsTask() : null);
        var job = await InProcessCluster.GetAsync(coordinator, clustered);

        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(_cluster.ModelBytes(local), _cluster.ModelBytes(clustered));
        // Named as gone, or by the ring neighbour that missed its piece; either way the step is re-run without it.
        Assert.Contains(events, jobEvent => jobEvent.Message.Contains($"worker {killedId} (rank ", StringComparison.Ordinal)
            && jobEvent.Message.Contains("re-running the step on ", StringComparison.Ordinal));
    }

    private string SamplesFile(string jobId) => Path.Combine(_cluster.Directory, "state", "jobs", jobId, AdversarialOutputs.SamplesFile);

    private static async Task<string> RunToEndAsync(DistributedTrainer.Coordinator.CoordinatorServer coordinator, JobSpec spec)
    {
        string jobId = await InProcessCluster.SubmitAsync(coordinator, spec);
        await ElasticClusterJobTests.WatchAsync(coordinator, jobId);
        return jobId;
    }
}
