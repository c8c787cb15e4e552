using DistributedTrainer.Coordinator.Grains;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class GrainMailboxTests
{
    [Fact]
    public async Task Post_ManyAsyncTurns_RunOneAtATimeInPostedOrder()
    {
        var mailbox = new GrainMailbox();
        var order = new List<int>();
        int running = 0;
        int mostAtOnce = 0;

        await Task.WhenAll(Enumerable.Range(0, 200).Select(index => mailbox.Post(async () =>
        {
            mostAtOnce = Math.Max(mostAtOnce, Interlocked.Increment(ref running));
            await Task.Yield();
            order.Add(index);
            Interlocked.Decrement(ref running);
        })));

        Assert.Equal(1, mostAtOnce);
        Assert.Equal(Enumerable.Range(0, 200), order);
    }

    [Fact]
    public async Task Post_TurnThrows_CallerSeesTheErrorAndLaterTurnsRun()
    {
        var mailbox = new GrainMailbox();

        var failed = mailbox.Post<int>(() => throw new InvalidOperationException("turn failed"));
        int next = await mailbox.Post(() => Task.FromResult(7));

        await Assert.ThrowsAsync<InvalidOperationException>(() => failed);
        Assert.Equal(7, next);
    }
}
