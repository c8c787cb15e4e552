using DistributedTrainer.Coordinator.Cluster;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

public sealed class CallRoundTests
{
    [Fact]
    public async Task WhenAllAsync_OneWorkerFails_CancelsTheOthersAndThrowsThatFailure()
    {
        using var round = new CallRound(CancellationToken.None);
        var waiting = round.Add(Task.Delay(Timeout.Infinite, round.Token).ContinueWith(_ => 0, TaskScheduler.Default));
        _ = round.Add(Task.FromException<int>(new WorkerFailedException("w-2", 1, 7, "step", "ABORTED ring broke")));

        var failure = await Assert.ThrowsAsync<WorkerFailedException>(round.WhenAllAsync);

        Assert.Equal("worker w-2 (rank 1) failed step 7 (step): ABORTED ring broke", failure.Message);
        Assert.True(round.Token.IsCancellationRequested);
        Assert.True(waiting.IsCompleted);
    }

    [Fact]
    public async Task WhenAllAsync_AllSucceed_LeavesTheTokenUncancelled()
    {
        using var round = new CallRound(CancellationToken.None);
        var first = round.Add(Task.FromResult(1));
        var second = round.Add(Task.FromResult(2));

        await round.WhenAllAsync();

        Assert.Equal((1, 2), (await first, await second));
        Assert.False(round.Token.IsCancellationRequested);
    }
}
