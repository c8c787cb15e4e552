using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class SigmoidTests
{
    [Fact]
    public void Forward_Always_ComputesLogistic()
    {
        using var model = new Model([new Sigmoid("act", 3)], 1);

        var output = model.Forward(GradientCheck.Evaluation(), [-2f, 0f, 3f], 1);

        GradientCheck.AssertClose([1 / (1 + MathF.Exp(2)), 0.5f, 1 / (1 + MathF.Exp(-3))], output, 1e-6);
    }

    [Fact]
    public void Backward_Always_MatchesFiniteDifferences()
    {
        using var model = new Model([new Sigmoid("act", 4)], 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(12, 1, -3, 3), 3);
    }
}
