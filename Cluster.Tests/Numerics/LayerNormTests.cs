using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class LayerNormTests
{
    [Fact]
    public void Forward_DefaultParameters_RowsHaveZeroMeanAndUnitVariance()
    {
        using var model = new Model([new LayerNorm("ln", 6)], 2);
        model.Initialize(1);

        float[] output = model.Forward(GradientCheck.Evaluation(), GradientCheck.RandomValues(12, 1, -3, 3), 2).ToArray();

        float[][] rows = [.. output.Chunk(6)];
        GradientCheck.AssertClose([0f, 0f, 1f, 1f],
            [rows[0].Average(), rows[1].Average(), rows[0].Average(v => v * v), rows[1].Average(v => v * v)], 1e-4);
    }

    [Fact]
    public void Backward_InputsWeightAndBias_MatchFiniteDifferences()
    {
        using var model = new Model([new LayerNorm("ln", 5)], 3);
        GradientCheck.RandomValues(10, 2, 0.5f, 1.5f).CopyTo(model.Store.Values);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(15, 1, -2, 2), 3);
    }
}
