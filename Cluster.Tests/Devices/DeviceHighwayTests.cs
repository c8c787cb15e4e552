using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The highway block on the device, its body dense and tanh, against <see cref="Highway"/> on the SIMD path.</summary>
public sealed class DeviceHighwayTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The gate's and the body's GEMMs sum in another order than the blocked GEMM, and sigmoid and tanh are computed
    // otherwise than by TensorPrimitives. On the CPU accelerator the largest difference over these shapes is 7.2e-7
    // (4.6e-7 x (1 + |expected|), the input gradient at 8 x 33); 1e-5, the dense kernels' tolerance.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(8, 33)]
    public void ForwardAndBackward_DenseTanhBody_MatchTheSimdBlockWithinTolerance(int batch, int features)
    {
        var body = new Sequential("gate1", [
            new Dense("fc", features, features, new LayerTestInitializer(), new LayerTestInitializer()),
            new Tanh("act", features),
        ]);
        using var model = new Model([new Highway("gate1", body, new LayerTestInitializer())], batch);
        // Random gate weights and biases near 0, so that T is neither closed nor open and both paths carry gradient.
        DeviceAssert.Random(model.Store.Count, 3).CopyTo(model.Store.Values);
        var input = DeviceAssert.Random(batch * features, 1);
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);

        var actual = DeviceLayerPass.Device(device, model, (parameters, gradients) =>
        {
            var chain = new DeviceSequential(device.Accelerator, "gate1",
                [
                    new DeviceDense(device.Kernels, "gate1.fc", features, features,
                        DeviceResidualTests.View(model, parameters, "gate1.fc.weight"), DeviceResidualTests.View(model, parameters, "gate1.fc.bias"),
                        DeviceResidualTests.View(model, gradients, "gate1.fc.weight"), DeviceResidualTests.View(model, gradients, "gate1.fc.bias")),
                    new DeviceActivation("gate1.act", features, device.Kernels.TanhForward, device.Kernels.TanhBackward, backwardReadsOutput: true),
                ], batch);
            return new DeviceHighway(device.Accelerator, device.Kernels, "gate1", chain,
                DeviceResidualTests.View(model, parameters, "gate1.gate.weight"), DeviceResidualTests.View(model, parameters, "gate1.gate.bias"),
                DeviceResidualTests.View(model, gradients, "gate1.gate.weight"), DeviceResidualTests.View(model, gradients, "gate1.gate.bias"),
                batch);
        }, input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.Gradients, actual.Gradients, "gate and body parameter gradients", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }
}
