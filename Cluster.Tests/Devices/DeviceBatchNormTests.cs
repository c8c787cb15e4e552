using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The batch norm kernels against <see cref="BatchNorm"/> on the SIMD kernels, in training and in evaluation.</summary>
public sealed class DeviceBatchNormTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // A thread per feature sums the rows in the SIMD layer's order, so what may differ is contraction into fused
    // multiply-adds (TensorPrimitives.MultiplyAdd may fuse, a GPU backend may fuse the kernels' a * b + c), a rounding of a
    // term, which x̂ = (x - mean) / σ carries as ulps of |x| / σ. On the CPU accelerator every value here is bitwise the
    // SIMD layer's; 1e-5 x (1 + |expected|), the dense kernels' tolerance, leaves room for those roundings (the buffer
    // change, (after - before) x B, multiplies one by up to 17), while the biased variance in the running update is off
    // by 0.04 or more.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(3, 1)]
    [InlineData(4, 7)]
    [InlineData(8, 33)]
    [InlineData(17, 130)]
    public void ForwardAndBackward_Training_MatchTheSimdLayerWithinTolerance(int batch, int features)
    {
        using var model = RandomModel(batch, features);
        var buffersBefore = model.Store.BufferValues.ToArray();
        var input = DeviceAssert.Random(batch * features, 1).Select(value => value + 0.5f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var context = new StepContext { Training = true };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * features];
        model.ZeroGradients();
        model.Backward(context, outputGradient, expectedInputGradient, batch);
        // What GradientEngine reports for a shard: the change of the running statistics times its rows.
        var expectedBufferChange = model.Store.BufferValues.ToArray().Select((after, i) => (after - buffersBefore[i]) * batch).ToArray();

        using var pass = new DeviceBatchNormPass(device, model, model.InputSize, null, buffersBefore, input, outputGradient, batch);
        pass.Run(training: true);

        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(pass.Output.View), "output", Tolerance);
        DeviceAssert.Close(model.Store.Gradients, AcceleratorFixture.Download<float>(pass.Gradients.View), "weight and bias gradients", Tolerance);
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(pass.InputGradient.View), "input gradient", Tolerance);
        DeviceAssert.Close(expectedBufferChange, AcceleratorFixture.Download<float>(pass.BufferChange.View), "buffer change", Tolerance);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 7)]
    [InlineData(17, 130)]
    public void ForwardAndBackward_Evaluation_NormalizeWithTheRunningStatisticsAsTheSimdLayer(int batch, int features)
    {
        using var model = RandomModel(batch, features);
        var buffers = model.Store.BufferValues.ToArray();
        var input = DeviceAssert.Random(batch * features, 1).Select(value => value + 0.5f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * features, 2);
        var context = new StepContext { Training = false };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * features];
        model.ZeroGradients();
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        using var pass = new DeviceBatchNormPass(device, model, model.InputSize, null, buffers, input, outputGradient, batch);
        pass.Run(training: false);

        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(pass.Output.View), "output", Tolerance);
        DeviceAssert.Close(model.Store.Gradients, AcceleratorFixture.Download<float>(pass.Gradients.View), "weight and bias gradients", Tolerance);
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(pass.InputGradient.View), "input gradient", Tolerance);
    }

    [Fact]
    public void Forward_TrainingOnOneRow_ThrowsAsTheSimdLayer()
    {
        using var model = RandomModel(1, 3);
        using var pass = new DeviceBatchNormPass(device, model, model.InputSize, null, model.Store.BufferValues.ToArray(), [1f, 2f, 3f], [0f, 0f, 0f], 1);

        var refused = Assert.Throws<ArgumentException>(() => pass.Run(training: true));

        Assert.StartsWith("Batch norm 'bn' needs at least 2 rows in training to estimate a variance, got 1.", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A batch norm of <paramref name="features"/> with random gamma, beta and running statistics (variances in [0.5, 1.5)).</summary>
    private static Model RandomModel(int batch, int features)
    {
        var model = new Model([new BatchNorm("bn", features, momentum: 0.3f)], batch);
        model.Initialize(7);
        DeviceAssert.Random(model.Store.Count, 3).CopyTo(model.Store.Values);
        var running = DeviceAssert.Random(2 * features, 4);
        for (int j = 0; j < features; j++)
        {
            running[features + j] = running[features + j] * 0.5f + 1f;
        }
        running.CopyTo(model.Store.BufferValues);
        return model;
    }
}
