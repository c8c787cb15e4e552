using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ParametricReluTests
{
    [Fact]
    public void Initialize_Default_SetsEverySlopeToQuarter()
    {
        using var model = new Model([new ParametricRelu("act", 3)], 1);

        model.Initialize(1);

        GradientCheck.AssertClose([0.25f, 0.25f, 0.25f], model.Store.Values, 0);
    }

    [Fact]
    public void Forward_NegativeInputs_ScaledByTheirFeaturesSlope()
    {
        using var model = new Model([new ParametricRelu("act", 3)], 2);
        float[] slopes = [0.1f, 0.5f, 2f];
        slopes.CopyTo(model.Store.Values);

        var output = model.Forward(GradientCheck.Evaluation(), [-1f, -1f, -1f, 1f, -2f, 3f], 2);

        GradientCheck.AssertClose([-0.1f, -0.5f, -2f, 1f, -1f, 3f], output, 1e-7);
    }

    [Fact]
    public void Backward_InputsAndSlopes_MatchFiniteDifferences()
    {
        using var model = new Model([new ParametricRelu("act", 4)], 5);
        GradientCheck.RandomValues(4, 2, 0.1f, 0.9f).CopyTo(model.Store.Values);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(5), GradientCheck.AwayFromZero(20, 1), 5);
    }
}
