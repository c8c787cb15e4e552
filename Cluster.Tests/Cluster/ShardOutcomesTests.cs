using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>
/// A step's shard outcomes placed by index: shards taken over between workers land where they belong, and a shard
/// reported twice, never, or outside the step names the worker at fault.
/// </summary>
public sealed class ShardOutcomesTests
{
    // Shards 0-2 to rank 0, 3-4 to rank 1.
    private static readonly (int First, int Count)[] Split = [(0, 3), (3, 2)];

    // Shard k scored with loss k, k correct and 10 + k samples.
    private static StepResult Reporting(params int[] shards)
    {
        var result = new StepResult();
        result.Shards.AddRange(shards.Select(k => new ShardOutcome { ShardIndex = k, LossSum = k, Correct = k, Samples = 10 + k }));
        return result;
    }

    [Fact]
    public void Place_ShardsTakenOverFromTheOtherWorker_SumsAsIfEachHadComputedItsOwnAndCountsWhoComputedWhat()
    {
        var outcomes = new ShardOutcomes();

        // Rank 1 computed its shard 3 and took over rank 0's shard 2 (from the back); rank 0 computed 0 and 1.
        Assert.Null(outcomes.Place([Reporting(0, 1), Reporting(3, 4, 2)], Split, 5));

        var expected = default(ShardResult);
        for (int k = 0; k < 5; k++)
        {
            expected += new ShardResult(k, k, 10 + k);
        }
        Assert.Equal(expected, outcomes.Sum(5));
        Assert.Equal([21, 39], outcomes.SamplesByRank);
    }

    [Fact]
    public void Place_ShardReportedByTwoWorkers_BlamesTheSecondNamingTheFirst()
    {
        var fault = new ShardOutcomes().Place([Reporting(0, 1, 2), Reporting(3, 4, 2)], Split, 5);

        Assert.Equal((1, "it reported shard 2, which rank 0 reported too"), fault);
    }

    [Fact]
    public void Place_ShardNobodyReported_BlamesTheWorkerItWasAssignedTo()
    {
        var fault = new ShardOutcomes().Place([Reporting(0, 1, 2), Reporting(4)], Split, 5);

        Assert.Equal((1, "no worker reported its shard 3"), fault);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(-1)]
    public void Place_OutcomeOutsideTheStep_BlamesItsWorker(int index)
    {
        var fault = new ShardOutcomes().Place([Reporting(0, 1, 2), Reporting(3, index)], Split, 5);

        Assert.Equal((1, $"its outcome 1 is for shard {index}, not one of the step's 5"), fault);
    }
}
