using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ModelTests
{
    // in (3 -> 4), hw { gate; body: res { body: fc (4 -> 4), act }, ln }, bn, out (4 -> 2)
    private static Model Nested(int maxBatch = 5)
    {
        var init = new LayerTestInitializer();
        var residual = new Residual("res", new Sequential("res.body", [new Dense("fc", 4, 4, init, init), new Tanh("act", 4)]));
        var highway = new Highway("hw", new Sequential("hw.body", [residual, new LayerNorm("ln", 4)]), init, gateBias: 0.5f);
        return new Model([new Dense("in", 3, 4, init, init), highway, new BatchNorm("bn", 4), new Dense("out", 4, 2, init, init)],
            maxBatch);
    }

    [Fact]
    public void Constructor_NestedLayers_NamesTensorsByBlockPath()
    {
        using var model = Nested();

        Assert.Equal(
            ["in.weight", "in.bias", "hw.gate.weight", "hw.gate.bias", "hw.res.fc.weight", "hw.res.fc.bias",
             "hw.ln.weight", "hw.ln.bias", "bn.weight", "bn.bias", "out.weight", "out.bias"],
            model.Store.Parameters.Select(view => view.Name));
    }

    [Fact]
    public void Constructor_Always_PacksParametersContiguously()
    {
        using var model = Nested();
        var views = model.Store.Parameters;

        int[] expectedOffsets = [0, .. views.Select(view => view.Length).ToArray().Select((_, i) => views.Take(i + 1).Sum(v => v.Length))];

        Assert.Equal(expectedOffsets[..^1], views.Select(view => view.Offset));
        Assert.Equal(expectedOffsets[^1], model.Store.Count);
    }

    [Fact]
    public void Constructor_BatchNorm_PutsRunningStatisticsInBuffers()
    {
        using var model = Nested();

        Assert.Equal([("bn.running_mean", 0), ("bn.running_var", 4)],
            model.Store.Buffers.Select(view => (view.Name, view.Offset)));
    }

    [Fact]
    public void Constructor_DuplicateLayerNames_ThrowsNamingLayer()
    {
        var init = new LayerTestInitializer();

        var error = Assert.Throws<ArgumentException>(() =>
            new Model([new Dense("fc", 2, 2, init, init), new Dense("fc", 2, 2, init, init)], 1));

        Assert.Contains("'fc'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_Always_PreOrderWithIndexAsPosition()
    {
        using var model = Nested();

        Assert.Equal(
            ["in", "hw", "hw", "hw.res", "hw.res", "hw.res.fc", "hw.res.act", "hw.ln", "bn", "out"],
            model.Layers.Select(model.FullNameOf));
        Assert.Equal(Enumerable.Range(0, model.Layers.Count), model.Layers.Select(layer => layer.Index));
    }

    [Fact]
    public void Freeze_Block_FreezesEverythingInsideIt()
    {
        using var model = Nested();

        model.Freeze(["hw"]);

        Assert.Equal(["hw.gate.weight", "hw.gate.bias", "hw.res.fc.weight", "hw.res.fc.bias", "hw.ln.weight", "hw.ln.bias"],
            model.Store.Parameters.Where(view => view.Frozen).Select(view => view.Name));
    }

    [Fact]
    public void Freeze_NestedLayer_FreezesOnlyThatLayer()
    {
        using var model = Nested();

        model.Freeze(["hw.res.fc", "out"]);

        Assert.Equal(["hw.res.fc.weight", "hw.res.fc.bias", "out.weight", "out.bias"],
            model.Store.Parameters.Where(view => view.Frozen).Select(view => view.Name));
    }

    [Fact]
    public void Freeze_UnknownName_ThrowsNamingIt()
    {
        using var model = Nested();

        var error = Assert.Throws<ArgumentException>(() => model.Freeze(["fc9"]));

        Assert.Contains("'fc9'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Initialize_SameSeed_SameValues()
    {
        using var first = Nested();
        using var second = Nested();

        first.Initialize(42);
        second.Initialize(42);

        Assert.Equal(first.Store.Values.ToArray(), second.Store.Values.ToArray());
    }

    [Fact]
    public void Initialize_OtherSeed_OtherValues()
    {
        using var first = Nested();
        using var second = Nested();

        first.Initialize(42);
        second.Initialize(43);

        Assert.NotEqual(first.Store.Values.ToArray(), second.Store.Values.ToArray());
    }

    [Fact]
    public void Forward_BatchAboveMaximum_ThrowsNamingBoth()
    {
        using var model = Nested(maxBatch: 2);

        var error = Assert.Throws<ArgumentException>(() => model.Forward(GradientCheck.Training(3), new float[9], 3));

        Assert.Contains("3 rows (must be in [1, 2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_ResidualInHighway_MatchesFiniteDifferences()
    {
        using var model = Nested();
        model.Initialize(7);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(5), GradientCheck.RandomValues(15, 1), 5);
    }

    [Fact]
    public void Backward_WithoutInputGradient_GivesSameParameterGradients()
    {
        using var model = Nested();
        model.Initialize(7);
        var context = GradientCheck.Training(5);
        float[] input = GradientCheck.RandomValues(15, 1);
        float[] outputGradient = GradientCheck.RandomValues(10, 2);
        model.Forward(context, input, 5);
        model.Backward(context, outputGradient, new float[15], 5);
        float[] expected = model.Store.Gradients.ToArray();
        model.ZeroGradients();

        model.Forward(context, input, 5);
        model.Backward(context, outputGradient, 5);

        GradientCheck.AssertClose(expected, model.Store.Gradients, 0);
    }

    [Fact]
    public void Backward_TwoMicroBatches_AccumulatesTheirSum()
    {
        var init = new LayerTestInitializer();
        using var model = new Model([new Dense("fc", 3, 2, init, init), new Tanh("act", 2)], 2);
        model.Initialize(7);
        var context = GradientCheck.Training(2);
        float[] input = GradientCheck.RandomValues(6, 1);
        float[] outputGradient = GradientCheck.RandomValues(4, 2);
        model.Forward(context, input, 2);
        model.Backward(context, outputGradient, 2);
        float[] whole = model.Store.Gradients.ToArray();
        model.ZeroGradients();

        model.Forward(context, input.AsSpan(0, 3), 1);
        model.Backward(context, outputGradient.AsSpan(0, 2), 1);
        model.Forward(context, input.AsSpan(3), 1);
        model.Backward(context, outputGradient.AsSpan(2), 1);

        GradientCheck.AssertClose(whole, model.Store.Gradients, 1e-6);
    }
}
