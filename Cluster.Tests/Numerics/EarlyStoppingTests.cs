using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class EarlyStoppingTests
{
    [Fact]
    public void Observe_FirstValue_Improves()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 2, 0);

        bool improved = stopping.Observe(0, 5.0, [1f], [2f]);

        Assert.True(improved);
    }

    [Fact]
    public void Observe_PatienceEpochsWithoutImprovement_ShouldStop()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 2, 0);
        stopping.Observe(0, 1.0, [], []);

        stopping.Observe(1, 1.5, [], []);
        stopping.Observe(2, 1.2, [], []);

        Assert.True(stopping.ShouldStop);
    }

    [Fact]
    public void Observe_FewerBadEpochsThanPatience_ShouldNotStop()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 3, 0);
        stopping.Observe(0, 1.0, [], []);

        stopping.Observe(1, 1.5, [], []);
        stopping.Observe(2, 1.2, [], []);

        Assert.False(stopping.ShouldStop);
    }

    [Fact]
    public void Observe_GainWithinMinDelta_DoesNotCountAsImprovement()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 1, 0.1);
        stopping.Observe(0, 1.0, [], []);

        bool improved = stopping.Observe(1, 0.95, [], []);

        Assert.False(improved);
    }

    [Fact]
    public void Observe_GainBeyondMinDelta_ResetsCounterAndBest()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 2, 0.1);
        stopping.Observe(0, 1.0, [], []);
        stopping.Observe(1, 1.1, [], []);

        stopping.Observe(2, 0.8, [], []);

        Assert.Equal((2, 0.8, 0), (stopping.BestEpoch, stopping.BestValue, stopping.EpochsWithoutImprovement));
    }

    [Fact]
    public void Observe_MaximizeHigherValue_Improves()
    {
        var stopping = new EarlyStopping(MetricGoal.Maximize, 1, 0.01);
        stopping.Observe(0, 0.80, [], []);

        bool improved = stopping.Observe(1, 0.85, [], []);

        Assert.True(improved);
    }

    [Fact]
    public void Observe_MaximizeLowerValue_StopsAfterPatience()
    {
        var stopping = new EarlyStopping(MetricGoal.Maximize, 1, 0);
        stopping.Observe(0, 0.80, [], []);

        stopping.Observe(1, 0.70, [], []);

        Assert.True(stopping.ShouldStop);
    }

    [Fact]
    public void Observe_NaN_CountsAsNoImprovement()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 1, 0);
        stopping.Observe(0, 1.0, [], []);

        bool improved = stopping.Observe(1, double.NaN, [], []);

        Assert.False(improved);
    }

    [Fact]
    public void RestoreBest_AfterWorseEpochs_WritesBestParametersAndBuffers()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 5, 0);
        stopping.Observe(0, 2.0, [1f, 1f], [9f]);
        stopping.Observe(1, 1.0, [2f, 3f], [8f]);
        stopping.Observe(2, 1.5, [4f, 5f], [7f]);
        var parameters = new float[2];
        var buffers = new float[1];

        stopping.RestoreBest(parameters, buffers);

        Assert.Equal([2f, 3f, 8f], [.. parameters, .. buffers]);
    }

    [Fact]
    public void Observe_CallerChangesArraysAfterwards_BestCopyIsUnaffected()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 5, 0);
        float[] live = [1f, 2f];
        stopping.Observe(0, 1.0, live, []);
        live[0] = 100f;
        var restored = new float[2];

        stopping.RestoreBest(restored, []);

        Assert.Equal([1f, 2f], restored);
    }

    [Fact]
    public void RestoreBest_NothingObserved_Throws()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 1, 0);

        var error = Assert.Throws<InvalidOperationException>(() => stopping.RestoreBest(new float[1], []));

        Assert.Contains("no metric value was observed yet", error.Message);
    }

    [Fact]
    public void RestoreBest_WrongLength_Throws()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 1, 0);
        stopping.Observe(0, 1.0, [1f, 2f], []);

        var error = Assert.Throws<ArgumentException>(() => stopping.RestoreBest(new float[3], []));

        Assert.StartsWith("Invalid parameters length: 3 (the best copy holds 2)", error.Message);
    }

    [Fact]
    public void LoadState_SavedMidway_ContinuesCountingWhereItLeftOff()
    {
        var original = new EarlyStopping(MetricGoal.Minimize, 2, 0);
        original.Observe(0, 1.0, [1f], [2f]);
        original.Observe(1, 1.5, [3f], [4f]);
        var resumed = new EarlyStopping(MetricGoal.Minimize, 2, 0);

        resumed.LoadState(original.SaveState());
        resumed.Observe(2, 1.2, [5f], [6f]);

        Assert.True(resumed.ShouldStop);
    }

    [Fact]
    public void LoadState_SavedMidway_RestoresTheBestCopy()
    {
        var original = new EarlyStopping(MetricGoal.Minimize, 2, 0);
        original.Observe(0, 1.0, [1f], [2f]);
        original.Observe(1, 1.5, [3f], [4f]);
        var resumed = new EarlyStopping(MetricGoal.Minimize, 2, 0);
        var parameters = new float[1];
        var buffers = new float[1];

        resumed.LoadState(original.SaveState());
        resumed.RestoreBest(parameters, buffers);

        Assert.Equal([1f, 2f], [.. parameters, .. buffers]);
    }

    [Fact]
    public void LoadState_BestEpochWithoutCopies_Throws()
    {
        var stopping = new EarlyStopping(MetricGoal.Minimize, 2, 0);

        var error = Assert.Throws<InvalidDataException>(() => stopping.LoadState(new EarlyStoppingState(3, 1.0, 0, null, null)));

        Assert.StartsWith("Invalid early stopping state: BestEpoch 3", error.Message);
    }

    [Fact]
    public void Constructor_ZeroPatience_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(MetricGoal.Minimize, 0, 0));

        Assert.StartsWith("Invalid patience: 0 (must be >= 1)", error.Message);
    }

    [Fact]
    public void Constructor_NegativeMinDelta_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(MetricGoal.Minimize, 1, -0.5));

        Assert.StartsWith("Invalid minDelta: -0.5 (must be finite and >= 0)", error.Message);
    }

    [Fact]
    public void Create_PatienceZero_ReturnsNull()
    {
        Assert.Null(EarlyStopping.Create(new EarlyStoppingSpec { Metric = EarlyStoppingSpec.Types.Metric.ValidationLoss }));
    }

    [Fact]
    public void Create_ValidationAccuracy_Maximizes()
    {
        var stopping = EarlyStopping.Create(new EarlyStoppingSpec
        {
            Metric = EarlyStoppingSpec.Types.Metric.ValidationAccuracy,
            Patience = 3,
            MinDelta = 0.01f,
        });

        Assert.Equal(MetricGoal.Maximize, stopping!.Goal);
    }

    [Fact]
    public void Create_UnspecifiedMetric_MinimizesValidationLoss()
    {
        var stopping = EarlyStopping.Create(new EarlyStoppingSpec { Patience = 3 });

        Assert.Equal(MetricGoal.Minimize, stopping!.Goal);
    }
}
