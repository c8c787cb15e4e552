using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The convolution kernels against <see cref="Conv2d"/> on the SIMD kernels, on both of its paths.</summary>
public sealed class DeviceConv2dTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The device sums each output over (channel, tap row, tap column) and each weight gradient per sample then over the
    // samples; the SIMD layer's direct path sums in vector rows and its im2col path in a blocked GEMM with FMA, so the
    // floats differ by rounding. On the CPU accelerator the largest difference over these shapes is 6.0e-6 x
    // (1 + |expected|), on LeNet-5 conv1's bias gradient (a sum of 3 x 784 terms, 44.7); outputs and input gradients stay
    // within 2e-6. 3e-5 leaves room for a GPU's fused multiply-adds, while a tap read one pixel off is wrong by 0.1 or more.
    private const float Tolerance = 3e-5f;

    [Theory]
    // batch, channels, height, width, out channels, kernel, stride, padding, dilation, bias
    [InlineData(1, 1, 5, 5, 1, 3, 1, 0, 1, true)]
    [InlineData(3, 1, 28, 28, 6, 5, 1, 2, 1, true)] // LeNet-5's conv1: the SIMD layer's direct path
    [InlineData(4, 6, 14, 14, 16, 5, 1, 0, 1, true)] // LeNet-5's conv2: im2col
    [InlineData(2, 3, 9, 7, 4, 3, 2, 1, 1, false)]
    [InlineData(3, 2, 11, 10, 3, 3, 3, 2, 2, true)]
    [InlineData(2, 1, 6, 8, 2, 2, 1, 1, 1, false)] // direct path without bias
    public void ForwardAndBackward_PaddingStrideDilation_MatchTheSimdLayerWithinTolerance(int batch, int channels, int height,
        int width, int outChannels, int kernel, int stride, int padding, int dilation, bool bias)
    {
        var shape = new ImageShape(channels, height, width);
        var window = new WindowGeometry(kernel, stride, padding, dilation);
        using var model = new Model([new Conv2d("conv", shape, outChannels, window, bias, new LayerTestInitializer(),
            new LayerTestInitializer())], batch);
        model.Initialize(7);
        var conv = (Conv2d)model.Layers[0];
        var input = DeviceAssert.Random(batch * model.InputSize, 1);
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);

        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);
        var actual = DeviceLayerPass.Device(device, model, (parameters, gradients) =>
        {
            var views = model.Store.Parameters;
            var geometry = new ImageWindow(shape, conv.OutputShape, window);
            return bias
                ? new DeviceConv2d(device.Accelerator, device.Kernels, "conv", geometry,
                    parameters.SubView(views[0].Offset, views[0].Length), parameters.SubView(views[1].Offset, views[1].Length),
                    gradients.SubView(views[0].Offset, views[0].Length), gradients.SubView(views[1].Offset, views[1].Length), batch)
                : new DeviceConv2d(device.Accelerator, device.Kernels, "conv", geometry,
                    parameters.SubView(views[0].Offset, views[0].Length), default, gradients.SubView(views[0].Offset, views[0].Length),
                    default, batch);
        }, input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.Gradients, actual.Gradients, "weight and bias gradients", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }
}
