using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The max pooling kernels against <see cref="MaxPool2d"/>: the same maxima, and the gradient routed to the same input.</summary>
public sealed class DeviceMaxPool2dTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    [Theory]
    // batch, channels, height, width, kernel, stride, padding
    [InlineData(1, 1, 4, 4, 2, 2, 0)]
    [InlineData(3, 6, 28, 28, 2, 2, 0)] // LeNet-5's first pool
    [InlineData(2, 3, 7, 9, 3, 2, 1)]
    [InlineData(4, 2, 5, 6, 3, 1, 1)]
    [InlineData(2, 2, 8, 8, 2, 1, 0)]
    public void ForwardAndBackward_ManyTies_EqualTheSimdLayerBitwise(int batch, int channels, int height, int width, int kernel,
        int stride, int padding)
    {
        // Inputs drawn from {-1, -0.5, 0, 0.5, 1}: most windows hold equal maxima, so the tie rule (first in row-major
        // order wins) decides where the gradient goes. A max and a sum of the same terms in the same order are exact
        // operations, so the floats must be equal, not close.
        var input = DeviceAssert.Random(batch * channels * height * width, 1).Select(value => MathF.Round(value * 2) / 2).ToArray();

        var (expected, actual) = Passes(batch, new ImageShape(channels, height, width), new WindowGeometry(kernel, stride, padding, 1), input);

        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.InputGradient, actual.InputGradient);
    }

    [Fact]
    public void ForwardAndBackward_NaNInAWindow_PropagateItAsTheSimdLayer()
    {
        var input = DeviceAssert.Random(2 * 1 * 4 * 4, 3);
        input[5] = float.NaN;
        input[16 + 10] = float.NaN;

        var (expected, actual) = Passes(2, new ImageShape(1, 4, 4), new WindowGeometry(2, 2, 0, 1), input);

        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.InputGradient, actual.InputGradient);
        Assert.True(float.IsNaN(actual.Output[0]) && float.IsNaN(actual.Output[4 + 3]), string.Join(", ", actual.Output));
    }

    private (DeviceLayerPass.Result Expected, DeviceLayerPass.Result Actual) Passes(int batch, ImageShape shape,
        WindowGeometry window, float[] input)
    {
        using var model = new Model([new MaxPool2d("pool", shape, window)], batch);
        var pool = (MaxPool2d)model.Layers[0];
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);
        var actual = DeviceLayerPass.Device(device, model, (_, _) =>
            new DeviceMaxPool2d(device.Accelerator, device.Kernels, "pool", new ImageWindow(shape, pool.OutputShape, window), batch),
            input, outputGradient, batch);
        return (expected, actual);
    }
}
