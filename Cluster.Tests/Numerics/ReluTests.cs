using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ReluTests
{
    [Fact]
    public void Forward_NegativeInputs_BecomeZero()
    {
        using var model = new Model([new Relu("act", 4)], 1);

        var output = model.Forward(GradientCheck.Evaluation(), [-2f, 0f, 0.5f, -0.1f], 1);

        GradientCheck.AssertClose([0f, 0f, 0.5f, 0f], output, 0);
    }

    [Fact]
    public void Backward_Always_MatchesFiniteDifferences()
    {
        using var model = new Model([new Relu("act", 4)], 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.AwayFromZero(12, 1), 3);
    }
}
