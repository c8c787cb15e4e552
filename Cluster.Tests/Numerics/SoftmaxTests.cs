using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class SoftmaxTests
{
    [Fact]
    public void Forward_Always_RowsSumToOne()
    {
        using var model = new Model([new Softmax("act", 5)], 3);

        float[] output = model.Forward(GradientCheck.Evaluation(), GradientCheck.RandomValues(15, 1, -4, 4), 3).ToArray();

        GradientCheck.AssertClose([1f, 1f, 1f], [.. output.Chunk(5).Select(row => row.Sum())], 1e-6);
    }

    [Fact]
    public void Forward_LargeInputs_MatchShiftedInputs()
    {
        using var model = new Model([new Softmax("act", 3)], 1);
        float sum = 1 + MathF.E + MathF.Exp(2);

        var output = model.Forward(GradientCheck.Evaluation(), [1000f, 1001f, 1002f], 1);

        GradientCheck.AssertClose([1 / sum, MathF.E / sum, MathF.Exp(2) / sum], output, 1e-6);
    }

    [Fact]
    public void Backward_Always_MatchesFiniteDifferences()
    {
        using var model = new Model([new Softmax("act", 4)], 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(12, 1, -2, 2), 3);
    }
}
