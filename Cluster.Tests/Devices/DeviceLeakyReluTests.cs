using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The leaky ReLU kernels against <see cref="LeakyRelu"/> on the SIMD path.</summary>
public sealed class DeviceLeakyReluTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // One multiply per element on either path: on the CPU accelerator the results are the same floats (largest
    // difference 0); 1e-6 x (1 + |expected|) leaves a GPU its own rounding, while a wrong slope is off by 1e-3 or more.
    private const float Tolerance = 1e-6f;

    [Theory]
    [InlineData(1, 1, 0.01f)]
    [InlineData(3, 7, 0.2f)]
    [InlineData(5, 64, -0.5f)]
    [InlineData(17, 33, 0.01f)]
    public void ForwardAndBackward_RandomInputs_MatchTheSimdLayerWithinTolerance(int batch, int features, float slope)
    {
        using var model = new Model([new LeakyRelu("act", features, slope)], batch);
        var input = DeviceAssert.Random(batch * features, 1);
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);

        var actual = DeviceLayerPass.Device(device, model, (_, _) => new DeviceLeakyRelu(device.Kernels, "act", features, slope),
            input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }
}
