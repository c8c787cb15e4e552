using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Numerics;
using ILGPU;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The residual block on the device, its body dense, leaky ReLU and dense, against <see cref="Residual"/> on the SIMD path.</summary>
public sealed class DeviceResidualTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The body's dense kernels sum in another order than the blocked GEMM. On the CPU accelerator the largest difference
    // over these shapes is 3.8e-6 on values up to 5 (1.8e-6 x (1 + |expected|), the output at 8 x 33); 1e-5, the dense
    // kernels' tolerance, while dropping the skip path's dy from the input gradient is off by 1e-1 or more.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(8, 33)]
    public void ForwardAndBackward_DenseBody_MatchTheSimdBlockWithinTolerance(int batch, int features)
    {
        var body = new Sequential("block", [
            new Dense("fc", features, features, new LayerTestInitializer(), new LayerTestInitializer()),
            new LeakyRelu("act", features, 0.1f),
            new Dense("proj", features, features, new LayerTestInitializer(), new LayerTestInitializer()),
        ]);
        using var model = new Model([new Residual("block", body)], batch);
        DeviceAssert.Random(model.Store.Count, 3).CopyTo(model.Store.Values);
        var input = DeviceAssert.Random(batch * features, 1);
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);

        var actual = DeviceLayerPass.Device(device, model, (parameters, gradients) =>
        {
            DeviceDense Dense(string name) => new(device.Kernels, name, features, features,
                View(model, parameters, name + ".weight"), View(model, parameters, name + ".bias"),
                View(model, gradients, name + ".weight"), View(model, gradients, name + ".bias"));
            var chain = new DeviceSequential(device.Accelerator, "block",
                [Dense("block.fc"), new DeviceLeakyRelu(device.Kernels, "block.act", features, 0.1f), Dense("block.proj")], batch);
            return new DeviceResidual(device.Accelerator, device.Kernels, "block", chain, batch);
        }, input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.Gradients, actual.Gradients, "body's parameter gradients", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }

    /// <summary>The named tensor's slice of the flat device parameters or gradients.</summary>
    internal static ArrayView<float> View(Model model, ArrayView<float> flat, string tensor)
    {
        var view = model.Store.Parameters.Single(parameter => parameter.Name == tensor);
        return flat.SubView(view.Offset, view.Length);
    }
}
