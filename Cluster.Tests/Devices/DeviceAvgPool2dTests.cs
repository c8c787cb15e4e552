using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The average pooling kernels against <see cref="AvgPool2d"/> (padding counted in the divisor).</summary>
public sealed class DeviceAvgPool2dTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // Each output and each input gradient sums the same terms in the SIMD layer's order, so on the CPU accelerator they are
    // equal bit for bit; a GPU may fuse dy · (1 / K²) + sum into one rounding, a difference of an ulp per term.
    private const float Tolerance = 1e-6f;

    [Theory]
    // batch, channels, height, width, kernel, stride, padding
    [InlineData(1, 1, 4, 4, 2, 2, 0)]
    [InlineData(3, 6, 28, 28, 2, 2, 0)]
    [InlineData(2, 3, 7, 9, 3, 2, 1)]
    [InlineData(4, 2, 5, 6, 3, 1, 1)]
    [InlineData(2, 2, 9, 8, 4, 3, 2)]
    public void ForwardAndBackward_PaddingAndStride_MatchTheSimdLayerWithinTolerance(int batch, int channels, int height,
        int width, int kernel, int stride, int padding)
    {
        var shape = new ImageShape(channels, height, width);
        var window = new WindowGeometry(kernel, stride, padding, 1);
        using var model = new Model([new AvgPool2d("pool", shape, window)], batch);
        var pool = (AvgPool2d)model.Layers[0];
        var input = DeviceAssert.Random(batch * model.InputSize, 1);
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);

        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);
        var actual = DeviceLayerPass.Device(device, model, (_, _) =>
            new DeviceAvgPool2d(device.Kernels, "pool", new ImageWindow(shape, pool.OutputShape, window)), input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }
}
