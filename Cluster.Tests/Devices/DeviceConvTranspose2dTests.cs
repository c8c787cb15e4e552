using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The transposed convolution on the conv2d kernels against <see cref="ConvTranspose2d"/> on the SIMD kernels.</summary>
public sealed class DeviceConvTranspose2dTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The device gathers each output over (input channel, tap row, tap column) and sums each weight gradient per sample then
    // over the samples; the SIMD layer scatters GEMM columns (col2im) and sums the weight gradient in one GEMM over all
    // samples, so the floats differ by rounding. On the CPU accelerator the largest difference over these shapes is
    // 4.6e-6 x (1 + |expected|), in the weight and bias gradients; outputs stay within 1.8e-6 and input gradients within
    // 9.3e-7. 3e-5, the conv2d kernels' tolerance, leaves room for a GPU's fused multiply-adds, while a tap or a bias on
    // the wrong pixel is off by 0.1 or more.
    private const float Tolerance = 3e-5f;

    [Theory]
    // batch, channels, height, width, out channels, kernel, stride, padding, output padding, dilation, bias
    [InlineData(1, 1, 3, 3, 1, 3, 1, 0, 0, 1, true)]
    [InlineData(2, 16, 7, 7, 8, 4, 2, 1, 0, 1, true)] // the DCGAN generator's up1 (64 -> 32 maps), channels cut by 4
    [InlineData(2, 32, 14, 14, 1, 4, 2, 1, 0, 1, true)] // the DCGAN generator's up2
    [InlineData(3, 2, 3, 4, 3, 3, 2, 1, 1, 1, false)]
    [InlineData(2, 2, 3, 4, 3, 3, 3, 0, 2, 2, true)]
    [InlineData(2, 3, 5, 4, 2, 2, 1, 1, 0, 3, false)]
    [InlineData(1, 2, 4, 4, 2, 5, 2, 3, 1, 1, true)] // padding cuts more than a tap's reach from each side
    public void ForwardAndBackward_StridePaddingOutputPaddingDilation_MatchTheSimdLayerWithinTolerance(int batch, int channels,
        int height, int width, int outChannels, int kernel, int stride, int padding, int outputPadding, int dilation, bool bias)
    {
        var shape = new ImageShape(channels, height, width);
        var window = new WindowGeometry(kernel, stride, padding, dilation);
        using var model = new Model([new ConvTranspose2d("up", shape, outChannels, window, outputPadding, bias,
            new LayerTestInitializer(), new LayerTestInitializer())], batch);
        model.Initialize(7);
        var input = DeviceAssert.Random(batch * model.InputSize, 1);
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);

        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);
        var actual = DevicePass(model, input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.Gradients, actual.Gradients, "weight and bias gradients", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }

    [Fact]
    public void ForwardAndBackward_TwoRuns_GiveBitwiseTheSameFloats()
    {
        // Many threads read each input pixel and each output gradient, none adds into a float another one writes: the
        // CPU accelerator's threads, like a GPU's, may run in any order without changing a bit.
        const int batch = 3;
        using var model = new Model([new ConvTranspose2d("up", new ImageShape(8, 5, 5), 4, new WindowGeometry(4, 2, 1, 1), 1, true,
            new LayerTestInitializer(), new LayerTestInitializer())], batch);
        model.Initialize(7);
        var input = DeviceAssert.Random(batch * model.InputSize, 1);
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);

        var first = DevicePass(model, input, outputGradient, batch);
        var second = DevicePass(model, input, outputGradient, batch);

        Assert.Equal(first.Output, second.Output);
        Assert.Equal(first.Gradients, second.Gradients);
        Assert.Equal(first.InputGradient, second.InputGradient);
    }

    // The pass on a DeviceConvTranspose2d over the model's one layer.
    private DeviceLayerPass.Result DevicePass(Model model, float[] input, float[] outputGradient, int batch)
    {
        var conv = (ConvTranspose2d)model.Layers[0];
        return DeviceLayerPass.Device(device, model, (parameters, gradients) =>
        {
            var views = model.Store.Parameters;
            var geometry = new ImageWindow(conv.InputShape, conv.OutputShape, conv.Window);
            return new DeviceConvTranspose2d(device.Accelerator, device.Kernels, "up", geometry,
                parameters.SubView(views[0].Offset, views[0].Length), conv.HasBias ? parameters.SubView(views[1].Offset, views[1].Length) : default,
                gradients.SubView(views[0].Offset, views[0].Length), conv.HasBias ? gradients.SubView(views[1].Offset, views[1].Length) : default,
                batch);
        }, input, outputGradient, batch);
    }
}
