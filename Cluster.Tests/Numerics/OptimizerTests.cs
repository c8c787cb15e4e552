using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>What every optimizer must do whatever its rule: checkpoint round trips, frozen tensors, decay by role.</summary>
public sealed class OptimizerTests
{
    private const float LearningRate = 0.01f;

    // weight (4, 8) then bias (5): 37 values, so each tensor has vector lanes and a scalar tail.
    private static readonly ParameterView[] Views =
    [
        new("fc.weight", 0, [4, 8], ParameterRole.Weight, "fc"),
        new("fc.bias", 32, [5], ParameterRole.Bias, "fc"),
    ];

    public static TheoryData<string> Kinds => new()
    {
        "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "rmsprop_momentum", "adadelta", "adam", "adamw",
    };

    private static Optimizer Create(string kind, int count) => kind switch
    {
        "sgd" => new Sgd(count, new SgdOptions { WeightDecay = 0.1f }),
        "momentum" => new Sgd(count, SgdOptions.MomentumDefaults with { WeightDecay = 0.1f }),
        "nesterov" => new Sgd(count, SgdOptions.NesterovDefaults with { WeightDecay = 0.1f }),
        "adagrad" => new AdaGrad(count, new AdaGradOptions { InitialAccumulator = 0.1f, WeightDecay = 0.1f }),
        "rmsprop" => new RmsProp(count, new RmsPropOptions { WeightDecay = 0.1f }),
        "rmsprop_momentum" => new RmsProp(count, new RmsPropOptions { Momentum = 0.9f, WeightDecay = 0.1f }),
        "adadelta" => new AdaDelta(count, new AdaDeltaOptions { WeightDecay = 0.1f }),
        "adam" => new Adam(count, new AdamOptions()),
        _ => new Adam(count, AdamOptions.AdamWDefaults with { WeightDecay = 0.1f }),
    };

    private static float[] Values(int count, int seed, float scale)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];
    }

    private static float[][] Gradients(int steps, int count) =>
        [.. Enumerable.Range(0, steps).Select(step => Values(count, 100 + step, 0.5f))];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void LoadState_SavedAfterTenSteps_ContinuesBitwiseLikeTwentyStraight(string kind)
    {
        var gradients = Gradients(20, 37);
        float[] straight = Values(37, 1, 1f);
        var straightOptimizer = Create(kind, 37);
        foreach (var gradient in gradients)
        {
            straightOptimizer.Step(straight, gradient, LearningRate, Views);
        }
        float[] resumed = Values(37, 1, 1f);
        var first = Create(kind, 37);
        foreach (var gradient in gradients.Take(10))
        {
            first.Step(resumed, gradient, LearningRate, Views);
        }
        var saved = first.State.ToDictionary(entry => entry.Key, entry => (float[])entry.Value.Clone());

        var second = Create(kind, 37);
        second.LoadState(first.StepCount, saved);
        foreach (var gradient in gradients.Skip(10))
        {
            second.Step(resumed, gradient, LearningRate, Views);
        }

        Assert.Equal(straight, resumed);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Step_FrozenView_LeavesItsParametersUnchanged(string kind)
    {
        ParameterView[] views = [Views[0] with { Frozen = true }, Views[1]];
        float[] parameters = Values(37, 2, 1f);
        float[] before = (float[])parameters.Clone();
        var optimizer = Create(kind, 37);

        foreach (var gradient in Gradients(3, 37))
        {
            optimizer.Step(parameters, gradient, LearningRate, views);
        }

        Assert.Equal(before[..32], parameters[..32]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Step_ZeroGradient_LeavesBiasUndecayed(string kind)
    {
        float[] parameters = Values(37, 3, 1f);
        float[] before = (float[])parameters.Clone();
        var optimizer = Create(kind, 37);

        optimizer.Step(parameters, new float[37], LearningRate, Views);

        Assert.Equal(before[32..], parameters[32..]);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adagrad")]
    [InlineData("adadelta")]
    [InlineData("adamw")]
    public void Step_ZeroGradient_DecaysWeightsByOneMinusRateTimesDecay(string kind)
    {
        float[] parameters = Values(37, 4, 1f);
        float keep = (float)(1.0 - (LearningRate * (double)0.1f));
        float[] expected = [.. parameters[..32].Select(value => value * keep)];
        var optimizer = Create(kind, 37);

        optimizer.Step(parameters, new float[37], LearningRate, Views);

        Assert.Equal(expected, parameters[..32]);
    }

    /// <summary>
    /// One view of N elements (vector lanes and a scalar tail) against N views of one element (scalar path only):
    /// the update of an element must not depend on where it sits.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void Step_VectorLanesAndScalarTail_GiveBitwiseEqualResults(string kind)
    {
        int[] lengths = [.. Enumerable.Range(0, 34), 64, 67];
        foreach (int length in lengths)
        {
            ParameterView[] whole = [new("t.weight", 0, [length], ParameterRole.Weight, "t")];
            ParameterView[] single = [.. Enumerable.Range(0, length).Select(i => new ParameterView($"t{i}.weight", i, [1], ParameterRole.Weight, $"t{i}"))];
            float[] vectorized = Values(length, 5, 1f);
            float[] scalar = (float[])vectorized.Clone();
            var vectorOptimizer = Create(kind, length);
            var scalarOptimizer = Create(kind, length);

            foreach (var gradient in Gradients(3, length))
            {
                vectorOptimizer.Step(vectorized, gradient, LearningRate, whole);
                scalarOptimizer.Step(scalar, gradient, LearningRate, single);
            }

            Assert.True(scalar.AsSpan().SequenceEqual(vectorized), $"{kind} differs at length {length}");
        }
    }

    /// <summary>A cluster worker's view: each segment of a partition updated by its own narrowed optimizer.</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void StepSegment_NarrowedToEachSegmentOfAPartition_GivesTheWholeStepBitForBit(string kind)
    {
        // The cuts split the weight and one of them falls inside the bias, which starts at 32.
        (int Start, int End)[] segments = [(0, 13), (13, 34), (34, 37)];
        float[] whole = Values(37, 6, 1f);
        float[] parts = (float[])whole.Clone();
        var wholeOptimizer = Create(kind, 37);
        var segmentOptimizers = segments.Select(segment =>
        {
            var optimizer = Create(kind, 37);
            optimizer.KeepStateOf(segment.Start, segment.End - segment.Start);
            return optimizer;
        }).ToArray();

        foreach (var gradient in Gradients(5, 37))
        {
            wholeOptimizer.Step(whole, gradient, LearningRate, Views);
            for (int k = 0; k < segments.Length; k++)
            {
                var (start, end) = segments[k];
                segmentOptimizers[k].StepSegment(parts.AsSpan(start, end - start), gradient.AsSpan(start, end - start), start,
                    wholeOptimizer.StepCount, LearningRate, Views);
            }
        }

        Assert.True(parts.AsSpan().SequenceEqual(whole), $"{kind}: the segments differ from the whole step");
        foreach (var (name, vector) in wholeOptimizer.State)
        {
            for (int k = 0; k < segments.Length; k++)
            {
                var (start, end) = segments[k];
                Assert.True(segmentOptimizers[k].State[name].AsSpan().SequenceEqual(vector.AsSpan(start, end - start)), $"{kind}: state {name} of segment {k}");
            }
        }
    }

    [Fact]
    public void StepAndStepSegment_OutsideTheNarrowedState_AreRefused()
    {
        var optimizer = Create("adam", 37);
        optimizer.KeepStateOf(10, 20);

        var whole = Assert.Throws<InvalidOperationException>(() => optimizer.Step(new float[37], new float[37], LearningRate, Views));
        var outside = Assert.Throws<ArgumentException>(() => optimizer.StepSegment(new float[5], new float[5], 28, 1, LearningRate, Views));

        Assert.Contains("[10, 30) only", whole.Message, StringComparison.Ordinal);
        Assert.Contains("5 values and 5 gradients at 28 (the optimizer holds the state of [10, 30))", outside.Message, StringComparison.Ordinal);
    }
}
