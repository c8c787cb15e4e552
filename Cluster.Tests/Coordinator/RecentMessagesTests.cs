using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class RecentMessagesTests
{
    [Fact]
    public void Add_MoreThanCapacity_KeepsTheNewestInOrder()
    {
        var recent = new RecentMessages();

        for (int i = 0; i < RecentMessages.Capacity + 6; i++)
        {
            recent.Add(new JobEvent { UnixMs = i, Message = $"event {i}" });
        }

        var kept = recent.Oldest();
        Assert.Equal(RecentMessages.Capacity, kept.Count);
        Assert.Equal(Enumerable.Range(6, RecentMessages.Capacity).Select(i => $"event {i}"), kept.Select(jobEvent => jobEvent.Message));
    }

    [Fact]
    public void Add_StepsEpochsAndStates_NotKept()
    {
        var recent = new RecentMessages();

        recent.Add(new JobEvent { Step = new StepMetrics { Step = 1 } });
        recent.Add(new JobEvent { Epoch = new EpochMetrics { Epoch = 1 } });
        recent.Add(new JobEvent { State = JobState.Running });
        recent.Add(new JobEvent { Message = "Resuming from checkpoint step-000100" });

        Assert.Equal(["Resuming from checkpoint step-000100"], recent.Oldest().Select(jobEvent => jobEvent.Message));
    }
}
