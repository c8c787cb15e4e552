using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The layer norm kernels against <see cref="LayerNorm"/> on the SIMD kernels.</summary>
public sealed class DeviceLayerNormTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The warp's shuffle tree adds a row in another order than TensorPrimitives' vectors, so the mean and the variance
    // differ by a few ulps, and x̂ = (x - mean) / σ carries that as ulps of |x| / σ. On the CPU accelerator the largest
    // difference over these shapes is 3.6e-7 on values of order 1; 1e-5 x (1 + |expected|), the dense kernels' tolerance,
    // leaves room for a GPU's 32-lane tree, while dropping the x̂ term of the input gradient is off by 0.2 or more.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 33)]
    [InlineData(17, 130)]
    public void ForwardAndBackward_RandomInputs_MatchTheSimdLayerWithinTolerance(int batch, int features)
    {
        using var model = new Model([new LayerNorm("norm", features)], batch);
        model.Initialize(7);
        // Random gamma and beta, so that their gradients and the input gradient depend on them.
        DeviceAssert.Random(model.Store.Count, 3).CopyTo(model.Store.Values);
        var input = DeviceAssert.Random(batch * features, 1).Select(value => value + 0.5f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var context = new StepContext { Training = true };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * features];
        model.ZeroGradients();
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        var (weight, bias) = (model.Store.Parameters[0], model.Store.Parameters[1]);
        using var parameters = device.Upload(model.Store.Values.ToArray());
        using var gradients = device.Zeros<float>(model.Store.Count);
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * features);
        using var dx = device.Zeros<float>(batch * features);
        using var layer = new DeviceLayerNorm(device.Accelerator, device.Kernels, "norm", features, 1e-5f,
            parameters.View.SubView(weight.Offset, weight.Length), parameters.View.SubView(bias.Offset, bias.Length),
            gradients.View.SubView(weight.Offset, weight.Length), gradients.View.SubView(bias.Offset, bias.Length), batch);
        var step = new DeviceStep(0, 0, default);
        layer.Forward(step, x.View, y.View, batch);
        layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);

        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(y.View), "output", Tolerance);
        DeviceAssert.Close(model.Store.Gradients, AcceleratorFixture.Download<float>(gradients.View), "weight and bias gradients", Tolerance);
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(dx.View), "input gradient", Tolerance);
    }
}
