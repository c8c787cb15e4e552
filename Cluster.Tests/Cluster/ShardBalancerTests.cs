using DistributedTrainer.Coordinator.Cluster;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

public sealed class ShardBalancerTests
{
    private static readonly string[] Ring = ["w-1", "w-2", "w-3"];

    [Fact]
    public void Split_NothingMeasured_SplitsEvenlyInContiguousRuns()
    {
        var runs = new ShardBalancer().Split(Ring, 8);

        Assert.Equal([(0, 3), (3, 3), (6, 2)], runs);
    }

    [Fact]
    public void Split_OneWorkerAtHalfSpeed_GivesItHalfTheShareOfTheOthers()
    {
        var balancer = new ShardBalancer();
        balancer.Observe(Ring, [32, 32, 32], [0.01, 0.02, 0.01]);

        var runs = balancer.Split(Ring, 10);

        Assert.Equal([(0, 4), (4, 2), (6, 4)], runs);
    }

    [Fact]
    public void Split_NotFollowingThroughputWithAWorkerAtHalfSpeed_SplitsEvenly()
    {
        var balancer = new ShardBalancer(followThroughput: false);
        balancer.Observe(Ring, [32, 32, 32], [0.01, 0.02, 0.01]);

        var runs = balancer.Split(Ring, 10);

        Assert.Equal([(0, 4), (4, 3), (7, 3)], runs);
    }

    [Fact]
    public void Split_UnmeasuredWorker_CountsAsTheAverage()
    {
        var balancer = new ShardBalancer();
        balancer.Observe(["w-1", "w-2"], [30, 30], [0.01, 0.03]);

        var runs = balancer.Split(["w-1", "w-2", "w-9"], 12);

        // Rates 3000 and 1000; the newcomer counts as 2000: 6, 2 and 4 shards.
        Assert.Equal([(0, 6), (6, 2), (8, 4)], runs);
    }

    [Fact]
    public void Observe_SlowForFiftySteps_NamesTheWorkerOnce()
    {
        var balancer = new ShardBalancer();
        var messages = new List<string>();
        for (int step = 0; step < 80; step++)
        {
            messages.AddRange(balancer.Observe(Ring, [32, 32, 32], [0.01, 0.05, 0.01]));
        }

        var message = Assert.Single(messages);
        Assert.StartsWith("worker w-2 is slow", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_WorkerWithoutSamples_IsNotMeasured()
    {
        var balancer = new ShardBalancer();

        balancer.Observe(Ring, [32, 0, 32], [0.01, 0.0, 0.01]);

        Assert.Null(balancer.RateOf("w-2"));
        Assert.Equal(3200, balancer.RateOf("w-1")!.Value, 6);
    }
}
