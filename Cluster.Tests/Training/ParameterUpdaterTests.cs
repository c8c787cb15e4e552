using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class ParameterUpdaterTests
{
    // Two tensors, "a" (2 elements) and "b" (2 elements), SGD at rate 0.1 without momentum.
    private static (ParameterStore Store, ParameterUpdater Updater) Setup(int healthInterval)
    {
        var store = new ParameterStore(
            [new ParameterView("a", 0, [2], ParameterRole.Weight, "layer"), new ParameterView("b", 2, [2], ParameterRole.Bias, "layer")],
            []);
        float[] values = [3f, 4f, 0f, 0f];
        values.CopyTo(store.Values);
        var updater = new ParameterUpdater(store, new Sgd(store.Count, new SgdOptions { LearningRate = 0.1f }),
            new ConstantRate(0.1f), null, null)
        { HealthInterval = healthInterval };
        return (store, updater);
    }

    // The batch of 2's mean of the summed gradient, as a backend leaves it.
    private static StepGradient MeanOfTwo(params float[] gradientSum)
    {
        var sum = new FixedPointAccumulator(gradientSum.Length);
        sum.Add(gradientSum);
        var gradient = new StepGradient(gradientSum.Length, 0);
        gradient.Average(sum, new FixedPointAccumulator(0), batchSize: 2);
        return gradient;
    }

    [Fact]
    public void Apply_MeasuredStep_ReportsEachTensorsGradientNormAndUpdateRatio()
    {
        var (store, updater) = Setup(healthInterval: 10);
        using var _ = store;

        var result = updater.Apply(20, MeanOfTwo(6f, 8f, 0f, 2f));

        var health = Assert.IsAssignableFrom<IReadOnlyList<TensorHealth>>(result.Health);
        Assert.Equal(["a", "b"], health.Select(t => t.Name));
        // Averaged gradient a = (3, 4): norm 5; update 0.1 * (3, 4) = norm 0.5; weights (3, 4) -> (2.7, 3.6), norms 5 and 4.5.
        Assert.Equal(5.0, health[0].GradientNorm, 5);
        Assert.Equal(0.1, health[0].UpdateRatio, 5);
        // b = (0, 1) moves away from zero: the update is all of it.
        Assert.Equal(1.0, health[1].GradientNorm, 5);
        Assert.Equal(1.0, health[1].UpdateRatio, 5);
    }

    [Fact]
    public void Apply_StepBetweenMeasures_ReportsNoHealth()
    {
        var (store, updater) = Setup(healthInterval: 10);
        using var _ = store;

        var result = updater.Apply(21, MeanOfTwo(6f, 8f, 0f, 2f));

        Assert.True(result.Applied);
        Assert.Null(result.Health);
    }
}
