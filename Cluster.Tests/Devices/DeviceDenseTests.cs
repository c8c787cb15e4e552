using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The dense layer's device kernels against <see cref="Dense"/> on the SIMD kernels.</summary>
public sealed class DeviceDenseTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(17, 33, 9)]
    [InlineData(32, 64, 10)]
    public void ForwardAndBackward_OddShapes_MatchTheSimdLayerWithinTolerance(int batch, int inputs, int units)
    {
        using var model = new Model([new Dense("fc", inputs, units, new LayerTestInitializer(), new LayerTestInitializer())], batch);
        model.Initialize(7);
        var input = DeviceAssert.Random(batch * inputs, 1);
        var outputGradient = DeviceAssert.Random(batch * units, 2);
        var context = new StepContext { Training = true };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * inputs];
        model.ZeroGradients();
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        var (weight, bias) = (model.Store.Parameters[0], model.Store.Parameters[1]);
        using var parameters = device.Upload(model.Store.Values.ToArray());
        using var gradients = device.Zeros<float>(model.Store.Count);
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * units);
        using var dx = device.Zeros<float>(batch * inputs);
        var layer = new DeviceDense(device.Kernels, "fc", inputs, units,
            parameters.View.SubView(weight.Offset, weight.Length), parameters.View.SubView(bias.Offset, bias.Length),
            gradients.View.SubView(weight.Offset, weight.Length), gradients.View.SubView(bias.Offset, bias.Length));
        var step = new DeviceStep(0, 0, default);
        layer.Forward(step, x.View, y.View, batch);
        layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);

        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(y.View), "output");
        DeviceAssert.Close(model.Store.Gradients, AcceleratorFixture.Download<float>(gradients.View), "weight and bias gradients");
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(dx.View), "input gradient");
    }

    [Theory]
    [InlineData(1, 2, 1, 1)]
    [InlineData(3, 5, 7, 4)]
    [InlineData(4, 9, 33, 10)]
    public void ForwardAndBackward_TimeSteps_MatchTheSimdLayerWithinTolerance(int batch, int steps, int inputs, int units)
    {
        using var model = new Model(
            [new Dense("fc", inputs, units, new LayerTestInitializer(), new LayerTestInitializer(), steps: steps)], batch);
        model.Initialize(7);
        var input = DeviceAssert.Random(batch * steps * inputs, 1);
        var outputGradient = DeviceAssert.Random(batch * steps * units, 2);
        var context = new StepContext { Training = true };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * steps * inputs];
        model.ZeroGradients();
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        var (weight, bias) = (model.Store.Parameters[0], model.Store.Parameters[1]);
        using var parameters = device.Upload(model.Store.Values.ToArray());
        using var gradients = device.Zeros<float>(model.Store.Count);
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * steps * units);
        using var dx = device.Zeros<float>(batch * steps * inputs);
        var layer = new DeviceDense(device.Kernels, "fc", inputs, units,
            parameters.View.SubView(weight.Offset, weight.Length), parameters.View.SubView(bias.Offset, bias.Length),
            gradients.View.SubView(weight.Offset, weight.Length), gradients.View.SubView(bias.Offset, bias.Length), steps);
        var step = new DeviceStep(0, 0, default);
        layer.Forward(step, x.View, y.View, batch);
        layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);

        Assert.Equal((steps * inputs, steps * units), (layer.InputSize, layer.OutputSize));
        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(y.View), "output");
        DeviceAssert.Close(model.Store.Gradients, AcceleratorFixture.Download<float>(gradients.View), "weight and bias gradients");
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(dx.View), "input gradient");
    }

    [Fact]
    public void BiasRows_WritesTheBiasIntoEveryRow()
    {
        using var bias = device.Upload(new[] { 1f, -2f, 3.5f });
        using var output = device.Upload(Enumerable.Repeat(9f, 6).ToArray());

        device.Kernels.DenseBiasRows(6, output.View, bias.View, 3);

        Assert.Equal(new[] { 1f, -2f, 3.5f, 1f, -2f, 3.5f }, AcceleratorFixture.Download<float>(output.View));
    }

    [Fact]
    public void Backward_TwoPasses_AddsIntoTheParameterGradients()
    {
        const int batch = 2, inputs = 3, units = 2;
        using var model = new Model([new Dense("fc", inputs, units, new LayerTestInitializer(), new LayerTestInitializer())], batch);
        model.Initialize(7);
        var (weight, bias) = (model.Store.Parameters[0], model.Store.Parameters[1]);
        using var parameters = device.Upload(model.Store.Values.ToArray());
        using var gradients = device.Zeros<float>(model.Store.Count);
        using var x = device.Upload(DeviceAssert.Random(batch * inputs, 3));
        using var dy = device.Upload(DeviceAssert.Random(batch * units, 4));
        using var y = device.Zeros<float>(batch * units);
        var layer = new DeviceDense(device.Kernels, "fc", inputs, units,
            parameters.View.SubView(weight.Offset, weight.Length), parameters.View.SubView(bias.Offset, bias.Length),
            gradients.View.SubView(weight.Offset, weight.Length), gradients.View.SubView(bias.Offset, bias.Length));
        var step = new DeviceStep(0, 0, default);
        layer.Backward(step, x.View, y.View, dy.View, default, batch);
        var once = AcceleratorFixture.Download<float>(gradients.View);

        layer.Backward(step, x.View, y.View, dy.View, default, batch);

        Assert.Equal(once.Select(value => value * 2), AcceleratorFixture.Download<float>(gradients.View));
    }
}
