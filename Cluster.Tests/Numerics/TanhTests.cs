using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class TanhTests
{
    [Fact]
    public void Forward_Always_ComputesTanh()
    {
        using var model = new Model([new Tanh("act", 3)], 1);

        var output = model.Forward(GradientCheck.Evaluation(), [-2f, 0f, 0.5f], 1);

        GradientCheck.AssertClose([MathF.Tanh(-2), 0f, MathF.Tanh(0.5f)], output, 1e-6);
    }

    [Fact]
    public void Backward_Always_MatchesFiniteDifferences()
    {
        using var model = new Model([new Tanh("act", 4)], 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(12, 1, -2, 2), 3);
    }
}
