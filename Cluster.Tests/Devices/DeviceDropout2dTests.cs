using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// The dropout kernels with one draw per channel against <see cref="Dropout2d"/>: the same counter-RNG masks, so bitwise
/// the same values; in evaluation both pass values through.
/// </summary>
public sealed class DeviceDropout2dTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    [Theory]
    // batch, channels, height, width, rate
    [InlineData(1, 1, 1, 1, 0.5f)]
    [InlineData(3, 6, 5, 4, 0.2f)]
    [InlineData(5, 9, 3, 3, 0.5f)]
    [InlineData(2, 4, 2, 3, 0f)]
    public void ForwardAndBackward_SameKeys_EqualTheSimdLayerBitwise(int batch, int channels, int height, int width, float rate)
    {
        var shape = new ImageShape(channels, height, width);
        int features = shape.Size;
        // Layer index 2, after two relus, and sparse, large sample ids.
        var layers = new Layer[] { new Relu("a", features), new Relu("b", features), new Dropout2d("drop", shape, rate) };
        using var model = new Model(layers, batch);
        long[] ids = [.. Enumerable.Range(0, batch).Select(row => 1_000_003L * row + 17)];
        // Positive inputs: the relus before the dropout pass them unchanged.
        var input = DeviceAssert.Random(batch * features, 5).Select(value => value + 2f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * features, 6);

        var (expected, actual) = Passes(model, shape, rate, training: true, ids, input, outputGradient, batch);

        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.InputGradient, actual.InputGradient);
    }

    [Fact]
    public void ForwardAndBackward_Evaluation_PassValuesThroughAsTheSimdLayer()
    {
        const int batch = 3;
        var shape = new ImageShape(2, 2, 2);
        using var model = new Model([new Dropout2d("drop", shape, 0.5f)], batch);
        var input = DeviceAssert.Random(batch * shape.Size, 7);
        var outputGradient = DeviceAssert.Random(batch * shape.Size, 8);

        var (expected, actual) = Passes(model, shape, 0.5f, training: false, [0, 1, 2], input, outputGradient, batch);

        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.InputGradient, actual.InputGradient);
    }

    /// <summary>The pass on the model (its last layer the dropout) and on the device layer, with seed 42 at step 12,345.</summary>
    private (DeviceLayerPass.Result Expected, DeviceLayerPass.Result Actual) Passes(Model model, ImageShape shape, float rate,
        bool training, long[] ids, float[] input, float[] outputGradient, int batch)
    {
        var context = new StepContext { Training = training, Seed = 42, Step = 12_345, SampleIds = ids };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * shape.Size];
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        int index = model.Layers[^1].Index;
        using var layer = new DeviceDropout(device.Accelerator, device.Kernels, "drop", shape.Size, rate, index, batch, shape.PlaneSize);
        using var sampleIds = device.Upload(ids);
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * shape.Size);
        using var dx = device.Zeros<float>(batch * shape.Size);
        var step = new DeviceStep(42, 12_345, sampleIds.View, training);
        layer.Forward(step, x.View, y.View, batch);
        layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);
        return (new DeviceLayerPass.Result(expectedOutput, expectedInputGradient, []),
            new DeviceLayerPass.Result(AcceleratorFixture.Download<float>(y.View), AcceleratorFixture.Download<float>(dx.View), []));
    }
}
