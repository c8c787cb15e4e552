using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ResidualTests
{
    [Fact]
    public void Forward_Always_AddsBodyOutputToInput()
    {
        using var model = new Model([new Residual("res", new Sequential("body", [new Tanh("act", 3)]))], 1);
        float[] input = [-1f, 0.2f, 2f];

        var output = model.Forward(GradientCheck.Evaluation(), input, 1);

        GradientCheck.AssertClose([.. input.Select(x => x + MathF.Tanh(x))], output, 1e-6);
    }

    [Fact]
    public void Backward_DenseBody_MatchesFiniteDifferences()
    {
        var init = new LayerTestInitializer();
        var body = new Sequential("body", [new Dense("fc", 4, 4, init, init), new Tanh("act", 4)]);
        using var model = new Model([new Residual("res", body)], 3);
        model.Initialize(2);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(12, 1), 3);
    }

    [Fact]
    public void Constructor_BodyChangesSize_ThrowsNamingBlock()
    {
        var init = new LayerTestInitializer();

        var error = Assert.Throws<ArgumentException>(() =>
            new Residual("res", new Sequential("body", [new Dense("fc", 4, 3, init, init)])));

        Assert.Contains("'res'", error.Message, StringComparison.Ordinal);
    }
}
