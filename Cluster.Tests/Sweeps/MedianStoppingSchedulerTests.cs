using DistributedTrainer.Sweeps;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class MedianStoppingSchedulerTests
{
    private static readonly SweepObjective Accuracy = new("test_accuracy", Maximize: true);

    [Fact]
    public void Report_BelowTheMedianOfEnoughTrials_StopsWithTheReason()
    {
        var rule = new MedianStoppingScheduler(Accuracy, gracePeriod: 1, minTrials: 3);
        rule.Report(0, 2, 0.84);
        rule.Report(1, 2, 0.85);
        rule.Report(2, 2, 0.86);

        Assert.Equal("stopped by median stopping at epoch 2: median of 3 trials 0.85, trial 0.831", rule.Report(3, 2, 0.831));
    }

    [Fact]
    public void Report_TooFewOtherTrials_Continues()
    {
        var rule = new MedianStoppingScheduler(Accuracy, 1, 3);
        rule.Report(0, 2, 0.84);
        rule.Report(1, 2, 0.85);

        Assert.Null(rule.Report(2, 2, 0.10));
    }

    [Fact]
    public void Report_BeforeTheGracePeriod_Continues()
    {
        var rule = new MedianStoppingScheduler(Accuracy, gracePeriod: 3, minTrials: 1);
        rule.Report(0, 2, 0.9);

        Assert.Null(rule.Report(1, 2, 0.1));
    }
}
