using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class JobWatchTests
{
    [Fact]
    public void Offer_SlowWatcher_DropsStepsBeyondCapacity()
    {
        using var watch = new JobWatch();

        for (int step = 0; step < JobWatch.StepCapacity + 10; step++)
        {
            watch.Offer(new JobEvent { Step = new StepMetrics { Step = step } });
        }

        Assert.Equal(10, watch.DroppedSteps);
    }

    [Fact]
    public async Task Offer_SlowWatcher_KeepsEpochAndStateEventsInOrder()
    {
        using var watch = new JobWatch();
        for (int step = 0; step < JobWatch.StepCapacity + 10; step++)
        {
            watch.Offer(new JobEvent { Step = new StepMetrics { Step = step } });
        }
        watch.Offer(new JobEvent { Epoch = new EpochMetrics { Epoch = 1 } });
        watch.Offer(new JobEvent { State = JobState.Succeeded });
        watch.Complete();

        var events = new List<JobEvent>();
        while (await watch.ReadAsync(CancellationToken.None) is { } next)
        {
            events.Add(next);
        }

        Assert.Equal([JobEvent.EventOneofCase.Epoch, JobEvent.EventOneofCase.State], events.TakeLast(2).Select(e => e.EventCase));
    }
}
