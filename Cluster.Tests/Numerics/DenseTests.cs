using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class DenseTests
{
    private static Model SingleDense(int inputSize, int units, int maxBatch, float dropConnect = 0, ulong seed = 5)
    {
        var model = new Model([new Dense("fc", inputSize, units, new LayerTestInitializer(), new LayerTestInitializer(), dropConnect)],
            maxBatch);
        model.Initialize(seed);
        return model;
    }

    [Fact]
    public void Forward_KnownWeights_ComputesAffineMap()
    {
        using var model = SingleDense(2, 3, 2);
        float[] weight = [1, 2, 3, 4, 5, 6];
        float[] bias = [0.5f, -1, 2];
        weight.CopyTo(model.Store.ValuesOf(model.Store.Parameters[0]));
        bias.CopyTo(model.Store.ValuesOf(model.Store.Parameters[1]));

        var output = model.Forward(GradientCheck.Evaluation(), [1, -1, 2, 0.5f], 2);

        GradientCheck.AssertClose([-0.5f, -2, 1, 3.5f, 7, 15], output, 1e-6);
    }

    [Fact]
    public void Backward_Training_MatchesFiniteDifferences()
    {
        using var model = SingleDense(5, 4, 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(15, 1), 3);
    }

    [Fact]
    public void Backward_DropConnectTraining_MatchesFiniteDifferences()
    {
        using var model = SingleDense(5, 4, 3, dropConnect: 0.4f);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(15, 2), 3);
    }

    [Fact]
    public void Forward_SameParameterVersion_KeepsThePackedWeightAndANewOneRepacks()
    {
        using var kept = SingleDense(40, 37, 3);
        using var plain = SingleDense(40, 37, 3);
        float[] input = GradientCheck.RandomValues(120, 6);
        var context = GradientCheck.Training(3);
        context.ParameterVersion = 7;

        float[] first = kept.Forward(context, input, 3).ToArray();
        // Bitwise the unpacked product, and again with the weight kept from the first pass.
        Assert.Equal(plain.Forward(GradientCheck.Training(3), input, 3).ToArray(), first);
        Assert.Equal(first, kept.Forward(context, input, 3).ToArray());
        // New parameters under a new version: the packed weight is made again from them.
        foreach (var model in new[] { kept, plain })
        {
            var weight = model.Store.ValuesOf(model.Store.Parameters[0]);
            for (int i = 0; i < weight.Length; i++)
            {
                weight[i] = -0.5f * weight[i] + 0.01f * i;
            }
        }
        context.ParameterVersion = 8;
        float[] changed = kept.Forward(context, input, 3).ToArray();

        Assert.NotEqual(first, changed);
        Assert.Equal(plain.Forward(GradientCheck.Training(3), input, 3).ToArray(), changed);
    }

    [Fact]
    public void Forward_DropConnectEvaluation_UsesPlainWeights()
    {
        using var plain = SingleDense(5, 4, 3);
        using var dropped = SingleDense(5, 4, 3, dropConnect: 0.5f);
        float[] input = GradientCheck.RandomValues(15, 3);

        float[] expected = plain.Forward(GradientCheck.Evaluation(), input, 3).ToArray();
        var actual = dropped.Forward(GradientCheck.Evaluation(), input, 3);

        GradientCheck.AssertClose(expected, actual, 0);
    }

    [Fact]
    public void Forward_DropConnectSplitBatch_MatchesWholeBatch()
    {
        using var model = SingleDense(6, 5, 4, dropConnect: 0.3f);
        float[] input = GradientCheck.RandomValues(24, 4);
        var context = GradientCheck.Training(4);

        float[] whole = model.Forward(context, input, 4).ToArray();
        float[] split = [.. model.Forward(context, input.AsSpan(0, 12), 2).ToArray(),
            .. model.Forward(context, input.AsSpan(12), 2).ToArray()];

        GradientCheck.AssertClose(whole, split, 0);
    }

    [Fact]
    public void Forward_DropConnectNextStep_DrawsAnotherMask()
    {
        using var model = SingleDense(6, 5, 1, dropConnect: 0.5f);
        float[] input = GradientCheck.RandomValues(6, 5);

        float[] first = model.Forward(GradientCheck.Training(1, step: 0), input, 1).ToArray();
        float[] second = model.Forward(GradientCheck.Training(1, step: 1), input, 1).ToArray();

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Forward_DropConnectTraining_ZeroesRateOfWeightsAndScalesTheRest()
    {
        const float rate = 0.25f;
        using var model = SingleDense(1, 4000, 1, dropConnect: rate);
        model.Store.ValuesOf(model.Store.Parameters[0]).Fill(1f);
        model.Store.ValuesOf(model.Store.Parameters[1]).Clear();

        // With x = 1, W = 1 and b = 0 each output is its weight's mask factor.
        float[] output = model.Forward(GradientCheck.Training(1), [1f], 1).ToArray();

        double dropped = output.Count(value => value == 0) / (double)output.Length;
        Assert.True(Math.Abs(dropped - rate) < 0.03, $"Dropped fraction {dropped}, expected about {rate}.");
        Assert.All(output.Where(value => value != 0), value => Assert.Equal(1f / (1f - rate), value));
    }

    [Fact]
    public void Constructor_DropConnectOutOfRange_ThrowsNamingValue()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new Dense("fc", 2, 2, new LayerTestInitializer(), new LayerTestInitializer(), dropConnect: 1f));

        Assert.Contains("dropConnect", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initialize_Always_PassesFansToInitializers()
    {
        var weightInit = new LayerTestInitializer();
        var biasInit = new LayerTestInitializer();
        using var model = new Model([new Dense("fc", 7, 3, weightInit, biasInit)], 1);

        model.Initialize(1);

        Assert.Equal([(21, 7, 3), (3, 3, 3)], [.. weightInit.Calls, .. biasInit.Calls]);
    }
}
