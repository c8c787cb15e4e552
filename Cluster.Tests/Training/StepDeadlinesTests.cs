using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class StepDeadlinesTests
{
    private static readonly TimeSpan Floor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(30);

    [Fact]
    public void Current_BeforeThreeSteps_IsTheCeiling()
    {
        var deadlines = new StepDeadlines(4, Floor, Ceiling);
        deadlines.Record(TimeSpan.FromSeconds(2));
        deadlines.Record(TimeSpan.FromSeconds(2));

        Assert.Equal(Ceiling, deadlines.Current);
    }

    [Fact]
    public void Current_AfterSteps_IsFactorTimesMedianIgnoringOneOutlier()
    {
        var deadlines = new StepDeadlines(4, Floor, Ceiling);
        foreach (double seconds in new[] { 2.0, 2.5, 100.0, 3.0, 2.5 })
        {
            deadlines.Record(TimeSpan.FromSeconds(seconds));
        }

        Assert.Equal(TimeSpan.FromSeconds(2.5), deadlines.Median);
        Assert.Equal(TimeSpan.FromSeconds(10), deadlines.Current);
    }

    [Fact]
    public void Current_FastSteps_IsClampedToTheFloor()
    {
        var deadlines = new StepDeadlines(4, Floor, Ceiling);
        for (int i = 0; i < 5; i++)
        {
            deadlines.Record(TimeSpan.FromMilliseconds(3));
        }

        Assert.Equal(Floor, deadlines.Current);
    }

    [Fact]
    public void Current_SlowSteps_IsClampedToTheCeiling()
    {
        var deadlines = new StepDeadlines(4, Floor, Ceiling);
        for (int i = 0; i < 5; i++)
        {
            deadlines.Record(TimeSpan.FromSeconds(20));
        }

        Assert.Equal(Ceiling, deadlines.Current);
    }

    [Fact]
    public void Median_OldStepsLeaveTheWindow_FollowsTheRecentPace()
    {
        var deadlines = new StepDeadlines(2, TimeSpan.Zero, Ceiling);
        for (int i = 0; i < 40; i++)
        {
            deadlines.Record(TimeSpan.FromSeconds(5));
        }
        for (int i = 0; i < 31; i++)
        {
            deadlines.Record(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(TimeSpan.FromSeconds(1), deadlines.Median);
    }

    [Fact]
    public void FromSpec_Unset_TakesTheDefaults()
    {
        var deadlines = StepDeadlines.FromSpec(null);

        Assert.Equal(StepDeadlines.DefaultFactor, deadlines.Factor);
        Assert.Equal(TimeSpan.FromSeconds(StepDeadlines.DefaultFloorSeconds), deadlines.Floor);
        Assert.Equal(TimeSpan.FromSeconds(StepDeadlines.DefaultCeilingSeconds), deadlines.Ceiling);
    }

    [Fact]
    public void FromSpec_Set_TakesTheSpecsValues()
    {
        var deadlines = StepDeadlines.FromSpec(new FaultToleranceSpec { DeadlineFactor = 3, DeadlineFloorSeconds = 0.5f, DeadlineCeilingSeconds = 10 });

        Assert.Equal(3, deadlines.Factor);
        Assert.Equal(TimeSpan.FromSeconds(0.5), deadlines.Floor);
        Assert.Equal(TimeSpan.FromSeconds(10), deadlines.Ceiling);
    }
}
