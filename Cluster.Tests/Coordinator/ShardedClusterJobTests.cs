using DistributedTrainer.Coordinator;
using DistributedTrainer.Data.Shards;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Cluster;
using DistributedTrainer.Tests.Diagnostics;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// A job over shard directories on a real coordinator and two workers (each mapping the shards and reading only its
/// micro-shards' samples) ends with bitwise the parameters of the same data read from CSV in the coordinator alone.
/// </summary>
public sealed class ShardedClusterJobTests : IAsyncDisposable
{
    private readonly InProcessCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Job_ShardsOnTwoWorkers_EndsBitwiseEqualToCsvInTheCoordinator()
    {
        var coordinator = await _cluster.StartCoordinatorAsync();
        var csv = ClusterJobs.WriteSpec(_cluster.Directory, epochs: 2);
        var shards = csv.Clone();
        shards.Dataset.Format = DatasetSpec.Types.Format.Shards;
        shards.Dataset.TrainPath = Path.Combine(_cluster.Directory, "train-shards");
        shards.Dataset.TestPath = Path.Combine(_cluster.Directory, "test-shards");
        ShardConverter.FromCsv(csv.Dataset.TrainPath, 0, hasHeader: false, shards.Dataset.TrainPath, shardSize: 50);
        ShardConverter.FromCsv(csv.Dataset.TestPath, 0, hasHeader: false, shards.Dataset.TestPath, shardSize: 50);
        string local = await RunToEndAsync(coordinator, csv);
        await _cluster.StartWorkersAsync(coordinator, 2);
        shards.MinWorkers = 2;

        string clustered = await RunToEndAsync(coordinator, shards);

        Assert.Equal((JobState.Succeeded, JobState.Succeeded, 2),
            ((await InProcessCluster.GetAsync(coordinator, local)).State, (await InProcessCluster.GetAsync(coordinator, clustered)).State,
             (await InProcessCluster.GetAsync(coordinator, clustered)).Progress.Workers));
        Assert.Equal(_cluster.ModelBytes(local), _cluster.ModelBytes(clustered));
    }

    [Fact]
    public async Task Job_ShardsOnTwoWorkers_ReadsSamplesAheadOfTheirSteps()
    {
        var coordinator = await _cluster.StartCoordinatorAsync();
        var shards = ClusterJobs.WriteSpec(_cluster.Directory, epochs: 2);
        shards.Dataset.Format = DatasetSpec.Types.Format.Shards;
        shards.Dataset.TrainPath = Path.Combine(_cluster.Directory, "train-shards");
        shards.Dataset.TestPath = Path.Combine(_cluster.Directory, "test-shards");
        ShardConverter.FromCsv(Path.Combine(_cluster.Directory, "train.csv"), 0, hasHeader: false, shards.Dataset.TrainPath, shardSize: 50);
        ShardConverter.FromCsv(Path.Combine(_cluster.Directory, "test.csv"), 0, hasHeader: false, shards.Dataset.TestPath, shardSize: 50);
        await _cluster.StartWorkersAsync(coordinator, 2);
        shards.MinWorkers = 2;
        using var samples = new OutcomeCounts("train.worker.prefetch.samples");

        string jobId = await RunToEndAsync(coordinator, shards);

        // Every step but the first finds its samples read ahead, but for any the balancer moved to the other worker.
        Assert.Equal(JobState.Succeeded, (await InProcessCluster.GetAsync(coordinator, jobId)).State);
        Assert.True(samples.Of(jobId, "hit") > samples.Of(jobId, "miss"), $"hits {samples.Of(jobId, "hit")}, misses {samples.Of(jobId, "miss")}");
    }

    private static async Task<string> RunToEndAsync(CoordinatorServer coordinator, JobSpec spec)
    {
        string jobId = await InProcessCluster.SubmitAsync(coordinator, spec);
        using var channel = GrpcChannels.Create(coordinator.Address);
        using var call = new JobsRpc.JobsClient(channel).WatchJob(new WatchJobRequest { JobId = jobId },
            new CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(180)));
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
        }
        return jobId;
    }
}
