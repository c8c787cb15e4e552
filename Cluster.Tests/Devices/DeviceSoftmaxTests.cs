using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The softmax layer's kernels (<see cref="DeviceSoftmax"/>) against <see cref="Softmax"/> on the SIMD path.</summary>
public sealed class DeviceSoftmaxTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The warp's shuffle tree adds a row's exponentials (and ⟨dy, y⟩) in another order than TensorPrimitives' vectors,
    // and MathF.Exp is not TensorPrimitives' vectorized exp, so values differ by a few ulps. On the CPU accelerator the
    // largest difference over these shapes is 6.0e-8 for the output and 5.6e-8 for the input gradient, on values below 1;
    // 1e-5 x (1 + |expected|), the dense kernels' tolerance, leaves room for a GPU's exp and 32-lane tree, while dropping
    // the ⟨dy, y⟩ term of the input gradient moves each element by y ⟨dy, y⟩, far more than rounding.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 33)]
    [InlineData(17, 130)]
    public void ForwardAndBackward_RandomInputs_MatchTheSimdLayerWithinTolerance(int batch, int features)
    {
        using var model = new Model([new Softmax("probs", features)], batch);
        // Spread over [-8, 8], so that a row's exponentials span several orders of magnitude.
        var input = DeviceAssert.Random(batch * features, 1).Select(value => value * 8).ToArray();
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);

        var actual = DeviceLayerPass.Device(device, model, (_, _) => new DeviceSoftmax(device.Kernels, "probs", features),
            input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }
}
