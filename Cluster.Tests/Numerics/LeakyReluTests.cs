using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class LeakyReluTests
{
    [Fact]
    public void Forward_NegativeInputs_ScaledBySlope()
    {
        using var model = new Model([new LeakyRelu("act", 3, slope: 0.1f)], 1);

        var output = model.Forward(GradientCheck.Evaluation(), [-2f, 0.5f, -0.3f], 1);

        GradientCheck.AssertClose([-0.2f, 0.5f, -0.03f], output, 1e-7);
    }

    [Fact]
    public void Backward_Always_MatchesFiniteDifferences()
    {
        using var model = new Model([new LeakyRelu("act", 4, slope: 0.2f)], 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.AwayFromZero(12, 1), 3);
    }
}
