using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class SequentialTests
{
    [Fact]
    public void Constructor_SizeMismatch_ThrowsNamingBothLayers()
    {
        var init = new LayerTestInitializer();

        var error = Assert.Throws<ArgumentException>(() =>
            new Sequential("net", [new Dense("fc1", 4, 3, init, init), new Dense("fc2", 5, 2, init, init)]));

        Assert.Contains("'fc2' takes 5 features but the layer before it, 'fc1', gives 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NoLayers_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Sequential("net", []));
    }

    [Fact]
    public void Forward_TwoLayers_FeedsFirstOutputToSecond()
    {
        using var model = new Model([new Tanh("a", 3), new Sigmoid("b", 3)], 1);
        float[] input = [-1f, 0.2f, 2f];

        var output = model.Forward(GradientCheck.Evaluation(), input, 1);

        GradientCheck.AssertClose([.. input.Select(x => 1 / (1 + MathF.Exp(-MathF.Tanh(x))))], output, 1e-6);
    }

    [Fact]
    public void Backward_FourLayers_MatchesFiniteDifferences()
    {
        var init = new LayerTestInitializer();
        using var model = new Model(
            [new Dense("fc1", 4, 6, init, init), new Tanh("act1", 6), new Dense("fc2", 6, 3, init, init), new Sigmoid("act2", 3)],
            4);
        model.Initialize(3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(4), GradientCheck.RandomValues(16, 1), 4);
    }
}
