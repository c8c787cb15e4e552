using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// The dropout kernels against <see cref="Dropout"/>: the same counter-RNG masks, so bitwise the same values; in evaluation
/// both pass values through.
/// </summary>
public sealed class DeviceDropoutTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    [Theory]
    [InlineData(1, 1, 0.5f)]
    [InlineData(3, 7, 0.2f)]
    [InlineData(5, 130, 0.5f)]
    [InlineData(2, 9, 0f)]
    public void ForwardAndBackward_SameKeys_EqualTheSimdLayerBitwise(int batch, int features, float rate)
    {
        // Layer index 3 (a dense, two activations before it in a real model) and sparse, large sample ids.
        var layers = new Layer[] { new Relu("a", features), new Relu("b", features), new Relu("c", features), new Dropout("drop", features, rate) };
        using var model = new Model(layers, batch);
        long[] ids = [.. Enumerable.Range(0, batch).Select(row => 1_000_003L * row + 17)];
        var context = new StepContext { Training = true, Seed = 42, Step = 12_345, SampleIds = ids };
        // Positive inputs: the relus before the dropout pass them unchanged.
        var input = DeviceAssert.Random(batch * features, 5).Select(value => value + 2f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * features, 6);
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * features];
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        var layer = new DeviceDropout(device.Accelerator, device.Kernels, "drop", features, rate, index: 3, batch);
        using var sampleIds = device.Upload(ids);
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * features);
        using var dx = device.Zeros<float>(batch * features);
        var step = new DeviceStep(42, 12_345, sampleIds.View);
        try
        {
            layer.Forward(step, x.View, y.View, batch);
            layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);

            Assert.Equal(expectedOutput, AcceleratorFixture.Download<float>(y.View));
            Assert.Equal(expectedInputGradient, AcceleratorFixture.Download<float>(dx.View));
        }
        finally
        {
            layer.Dispose();
        }
    }

    [Fact]
    public void ForwardAndBackward_Evaluation_PassValuesThroughAsTheSimdLayer()
    {
        const int batch = 3, features = 5;
        using var model = new Model([new Dropout("drop", features, 0.5f)], batch);
        var context = new StepContext { Training = false };
        var input = DeviceAssert.Random(batch * features, 7);
        var outputGradient = DeviceAssert.Random(batch * features, 8);
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * features];
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        using var layer = new DeviceDropout(device.Accelerator, device.Kernels, "drop", features, 0.5f, index: 0, batch);
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * features);
        using var dx = device.Zeros<float>(batch * features);
        var step = new DeviceStep(42, 1, default, Training: false);
        layer.Forward(step, x.View, y.View, batch);
        layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);

        Assert.Equal(expectedOutput, AcceleratorFixture.Download<float>(y.View));
        Assert.Equal(expectedInputGradient, AcceleratorFixture.Download<float>(dx.View));
    }
}
