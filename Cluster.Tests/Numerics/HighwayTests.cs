using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class HighwayTests
{
    private static Highway TanhHighway(int features, float gateBias, float gateWeightScale) =>
        new("hw", new Sequential("body", [new Tanh("act", features)]),
            new LayerTestInitializer(-gateWeightScale, gateWeightScale), gateBias);

    [Fact]
    public void Initialize_Always_SetsEveryGateBias()
    {
        using var model = new Model([TanhHighway(3, -2f, 1f)], 1);

        model.Initialize(1);

        GradientCheck.AssertClose([-2f, -2f, -2f], model.Store.ValuesOf(model.Store.Parameters[1]), 0);
    }

    [Fact]
    public void Forward_ZeroGate_AveragesBodyAndInput()
    {
        using var model = new Model([TanhHighway(3, 0f, 0f)], 1);
        model.Initialize(1);
        float[] input = [-1f, 0.2f, 2f];

        var output = model.Forward(GradientCheck.Evaluation(), input, 1);

        GradientCheck.AssertClose([.. input.Select(x => 0.5f * MathF.Tanh(x) + 0.5f * x)], output, 1e-6);
    }

    [Fact]
    public void Backward_InputsAndGate_MatchFiniteDifferences()
    {
        var init = new LayerTestInitializer();
        var body = new Sequential("body", [new Dense("fc", 4, 4, init, init), new Tanh("act", 4)]);
        using var model = new Model([new Highway("hw", body, init, gateBias: 0.3f)], 3);
        model.Initialize(4);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(12, 1), 3);
    }

    [Fact]
    public void Constructor_BodyChangesSize_ThrowsNamingBlock()
    {
        var init = new LayerTestInitializer();

        var error = Assert.Throws<ArgumentException>(() =>
            new Highway("hw", new Sequential("body", [new Dense("fc", 4, 3, init, init)]), init));

        Assert.Contains("'hw'", error.Message, StringComparison.Ordinal);
    }
}
