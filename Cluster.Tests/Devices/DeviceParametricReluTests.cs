using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The PReLU kernels against <see cref="ParametricRelu"/> on the SIMD path.</summary>
public sealed class DeviceParametricReluTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The slope gradient adds the rows in the SIMD layer's order, one product each: on the CPU accelerator every output,
    // slope gradient and input gradient is the same float (largest difference 0). 1e-6 x (1 + |expected|) leaves room for
    // a GPU that fuses the multiply-add; a slope read from the wrong feature is off by 1e-2 or more.
    private const float Tolerance = 1e-6f;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(8, 64)]
    [InlineData(17, 33)]
    public void ForwardAndBackward_RandomSlopes_MatchTheSimdLayerWithinTolerance(int batch, int features)
    {
        using var model = new Model([new ParametricRelu("act", features)], batch);
        // A slope of its own per feature, so that a feature read from the wrong column shows.
        DeviceAssert.Random(features, 3).CopyTo(model.Store.Values);
        var input = DeviceAssert.Random(batch * features, 1);
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);
        var slope = model.Store.Parameters[0];

        var actual = DeviceLayerPass.Device(device, model, (parameters, gradients) => new DeviceParametricRelu(device.Kernels, "act",
            features, parameters.SubView(slope.Offset, slope.Length), gradients.SubView(slope.Offset, slope.Length)),
            input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.Gradients, actual.Gradients, "slope gradient", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }
}
