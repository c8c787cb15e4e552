using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class DownsampledStepsTests
{
    public static TheoryData<int> Capacities => [3, 4, 7, 64];

    [Theory]
    [MemberData(nameof(Capacities))]
    public void Add_EveryStepCountUpTo3000_KeepsAtMostTheCapacity(int capacity)
    {
        var history = new DownsampledSteps(capacity);

        for (long step = 1; step <= 3000; step++)
        {
            history.Add(Step(step));

            Assert.True(Kept(history).Count <= capacity, $"{Kept(history).Count} points kept after {step} steps; capacity {capacity}");
        }
    }

    [Theory]
    [MemberData(nameof(Capacities))]
    public void Add_EveryStepCountUpTo3000_KeepsTheFirstAndTheNewestStep(int capacity)
    {
        var history = new DownsampledSteps(capacity);

        for (long step = 1; step <= 3000; step++)
        {
            history.Add(Step(step));

            var kept = Kept(history);
            Assert.Equal((1L, step), (kept[0], kept[^1]));
        }
    }

    [Theory]
    [MemberData(nameof(Capacities))]
    public void Add_EveryStepCountUpTo3000_StepsStrictlyIncrease(int capacity)
    {
        var history = new DownsampledSteps(capacity);

        for (long step = 1; step <= 3000; step++)
        {
            history.Add(Step(step));

            var kept = Kept(history);
            Assert.All(kept.Zip(kept.Skip(1)), pair => Assert.True(pair.First < pair.Second, $"step {pair.Second} after {pair.First}"));
        }
    }

    [Fact]
    public void Add_HundredTimesTheCapacity_PointsEvenlySpacedUpToTheNewest()
    {
        var history = new DownsampledSteps(1000);

        for (long step = 1; step <= 100_000; step++)
        {
            history.Add(Step(step));
        }

        var kept = Kept(history);
        var gaps = kept.Zip(kept.Skip(1), (before, after) => after - before).ToList();
        Assert.All(gaps.SkipLast(1), gap => Assert.Equal(history.Stride, gap));
        Assert.InRange(gaps[^1], 1, history.Stride);
    }

    [Fact]
    public void Add_HundredTimesTheCapacity_KeepsMoreThanHalfTheCapacity()
    {
        var history = new DownsampledSteps(1000);

        for (long step = 1; step <= 100_000; step++)
        {
            history.Add(Step(step));
        }

        Assert.InRange(history.Count, 501, 1000);
    }

    [Fact]
    public void Add_FewerStepsThanTheCapacity_KeepsEveryStep()
    {
        var history = new DownsampledSteps(1000);

        for (long step = 1; step <= 999; step++)
        {
            history.Add(Step(step));
        }

        Assert.Equal(Enumerable.Range(1, 999).Select(step => (long)step), Kept(history));
    }

    [Fact]
    public void Add_ResumedMidRun_StartsAtTheFirstStepOffered()
    {
        var history = new DownsampledSteps(10);

        for (long step = 4001; step <= 4100; step++)
        {
            history.Add(Step(step));
        }

        Assert.Equal((4001L, 4100L), (Kept(history)[0], Kept(history)[^1]));
    }

    [Fact]
    public void Add_StepNotAfterTheNewest_ForgetsThePointsFromItOn()
    {
        var history = new DownsampledSteps(1000);
        for (long step = 1; step <= 10; step++)
        {
            history.Add(Step(step));
        }

        history.Add(Step(7));

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], Kept(history));
    }

    [Fact]
    public void Add_StepWithTensorHealth_KeepsItWithoutTheTensors()
    {
        var history = new DownsampledSteps();
        var step = Step(50);
        step.Tensors.Add(new TensorHealth { Name = "fc1.weight", GradientNorm = 0.5, UpdateRatio = 1e-3 });

        history.Add(step);

        Assert.Empty(history.ToHistory().Steps.Single().Tensors);
    }

    [Fact]
    public void Add_StepChangedAfterwards_HistoryKeepsTheValueOffered()
    {
        var history = new DownsampledSteps();
        var step = Step(1);

        history.Add(step);
        step.Loss = 99;

        Assert.Equal(1.0, history.ToHistory().Steps.Single().Loss);
    }

    [Fact]
    public void Constructor_CapacityUnderThree_ThrowsNamingIt()
    {
        var invalid = Assert.Throws<ArgumentOutOfRangeException>(() => new DownsampledSteps(2));

        Assert.Contains("Invalid capacity: 2 (must be at least 3)", invalid.Message, StringComparison.Ordinal);
    }

    private static StepMetrics Step(long step) => new() { Step = step, Epoch = 1, Loss = 1.0 / step, LearningRate = 0.01f, GradientNorm = 1, ClipScale = 1 };

    private static List<long> Kept(DownsampledSteps history) => [.. history.ToHistory().Steps.Select(point => point.Step)];
}
