using DistributedTrainer.Sweeps;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class AshaSchedulerTests
{
    private static readonly SweepObjective Accuracy = new("test_accuracy", Maximize: true);

    [Fact]
    public void Milestones_Grace1Factor3Max27_AreOneThreeNine()
    {
        var asha = new AshaScheduler(Accuracy, gracePeriod: 1, reductionFactor: 3, maxEpochs: 27);

        Assert.Equal([1, 3, 9], asha.Milestones);
    }

    [Fact]
    public void Report_FirstTrialAtARung_Continues()
    {
        var asha = new AshaScheduler(Accuracy, 1, 3, 9);

        Assert.Null(asha.Report(0, 1, 0.5));
    }

    [Fact]
    public void Report_BelowTheRungCutoff_StopsWithTheReason()
    {
        var asha = new AshaScheduler(Accuracy, 1, 3, 9);
        foreach (var (trial, value) in new[] { (0, 0.80), (1, 0.85), (2, 0.88), (3, 0.87) })
        {
            asha.Report(trial, 3, value);
        }

        string? reason = asha.Report(4, 3, 0.851);

        // Cut-off: the (1 - 1/3) percentile of 0.80, 0.85, 0.87, 0.88, at rank 2 of 0..3: 0.87.
        Assert.Equal("stopped by ASHA at epoch 3: rung 1 cut-off 0.87, trial 0.851", reason);
    }

    [Fact]
    public void Report_InTheTopThird_Continues()
    {
        var asha = new AshaScheduler(Accuracy, 1, 3, 9);
        asha.Report(0, 1, 0.80);
        asha.Report(1, 1, 0.70);

        Assert.Null(asha.Report(2, 1, 0.90));
    }

    [Fact]
    public void Report_Minimizing_StopsTheLargerLoss()
    {
        var asha = new AshaScheduler(new SweepObjective("test_loss", Maximize: false), 1, 2, 4);
        asha.Report(0, 1, 0.3);

        Assert.Equal("stopped by ASHA at epoch 1: rung 0 cut-off 0.3, trial 0.5", asha.Report(1, 1, 0.5));
    }

    [Fact]
    public void Report_SameRungTwice_JudgesOnce()
    {
        var asha = new AshaScheduler(Accuracy, 1, 3, 9);
        asha.Report(0, 1, 0.9);
        asha.Report(1, 1, 0.5);

        Assert.Null(asha.Report(1, 2, 0.4));
    }

    [Fact]
    public void Percentile_Median_InterpolatesLikeNumpy()
    {
        Assert.Equal(2.5, AshaScheduler.Percentile([4, 1, 3, 2], 50), 12);
    }
}
