using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>A dense layer with steps applies one weight matrix to every time step of a row.</summary>
public class DenseStepTests
{
    [Fact]
    public void Forward_Steps_EqualsTheLayerOnEveryStepAsARow()
    {
        using var perStep = new Model([new Dense("d", 3, 2, new LayerTestInitializer(), new LayerTestInitializer(), steps: 4)], 2);
        using var plain = new Model([new Dense("d", 3, 2, new LayerTestInitializer(), new LayerTestInitializer())], 8);
        perStep.Initialize(5);
        perStep.Store.Values.CopyTo(plain.Store.Values);
        float[] input = GradientCheck.RandomValues(2 * 4 * 3, 9);

        var expected = plain.Forward(GradientCheck.Evaluation(), input, 8).ToArray();
        var actual = perStep.Forward(GradientCheck.Evaluation(), input, 2).ToArray();

        Assert.Equal(8, perStep.OutputSize);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Backward_Steps_MatchesCentralDifferences()
    {
        using var model = new Model([new Dense("d", 3, 2, new LayerTestInitializer(), new LayerTestInitializer(), steps: 4)], 2);
        model.Initialize(5);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), GradientCheck.RandomValues(2 * 4 * 3, 9), 2);
    }
}
