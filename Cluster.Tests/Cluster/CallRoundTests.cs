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
    public async Task WhenAllAsync_RingReportsInACycle_WaitsForAllAndThrowsTheEarliestWithoutCancelling()
    {
        // Rank 1 went silent: rank 2 failed first in the step (all-gather round 0), rank 0 next, rank 1 last.
        using var round = new CallRound(CancellationToken.None);
        _ = round.Add(Task.FromException<int>(Peer(1, 0, (1, 0))));
        _ = round.Add(Task.FromException<int>(Peer(2, 1, (0, 0))));
        _ = round.Add(Task.FromException<int>(Peer(0, 2, (0, 1))));

        var failure = await Assert.ThrowsAsync<WorkerFailedException>(round.WhenAllAsync);

        Assert.Equal((2, 1), (failure.Rank, failure.PeerRank));
        Assert.False(round.Token.IsCancellationRequested);
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

    private static WorkerFailedException Peer(int rank, int peer, (int Phase, int Round) position) =>
        new($"w-{rank + 1}", rank, 7, "step", "ABORTED ring timed out", null, WorkerFailureKind.PeerFailed, peer, "all-gather chunk 0", position);
}
