using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The batch norm kernels over channels of H·W positions against <see cref="BatchNorm2d"/>, in training and in evaluation.</summary>
public sealed class DeviceBatchNorm2dTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // A thread per channel sums the rows and each row's plane one value at a time, where the SIMD layer sums each plane in
    // vectors (TensorPrimitives.Sum, Dot) and divides by n where the kernel multiplies by 1 / n: the statistics differ by a
    // few ulps, which x̂ = (x - mean) / σ carries as ulps of |x| / σ. On the CPU accelerator the largest difference over
    // these shapes is 2.8e-6 x (1 + |expected|), on a gamma gradient (a sum of 196 products, 21.2); outputs, input
    // gradients and buffer changes stay within 2e-7. 1e-5, the batch norm kernels' tolerance, holds them, while the biased
    // variance in the running update is off by far more (n / (n - 1) = 1.0052 at n = 196).
    private const float Tolerance = 1e-5f;

    [Theory]
    // batch, channels, height, width
    [InlineData(1, 3, 2, 2)]
    [InlineData(2, 1, 1, 2)]
    [InlineData(3, 2, 4, 5)]
    [InlineData(4, 6, 7, 7)]
    public void ForwardAndBackward_Training_MatchTheSimdLayerWithinTolerance(int batch, int channels, int height, int width)
    {
        var shape = new ImageShape(channels, height, width);
        using var model = RandomModel(batch, shape);
        var buffersBefore = model.Store.BufferValues.ToArray();
        var input = DeviceAssert.Random(batch * shape.Size, 1).Select(value => value + 0.5f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * shape.Size, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);
        // What GradientEngine reports for a shard: the change of the running statistics times its rows.
        var expectedBufferChange = model.Store.BufferValues.ToArray().Select((after, i) => (after - buffersBefore[i]) * batch).ToArray();

        using var pass = new DeviceBatchNormPass(device, model, shape.Channels, shape.PlaneSize, buffersBefore, input, outputGradient, batch);
        pass.Run(training: true);

        DeviceAssert.Close(expected.Output, AcceleratorFixture.Download<float>(pass.Output.View), "output", Tolerance);
        DeviceAssert.Close(expected.Gradients, AcceleratorFixture.Download<float>(pass.Gradients.View), "weight and bias gradients", Tolerance);
        DeviceAssert.Close(expected.InputGradient, AcceleratorFixture.Download<float>(pass.InputGradient.View), "input gradient", Tolerance);
        DeviceAssert.Close(expectedBufferChange, AcceleratorFixture.Download<float>(pass.BufferChange.View), "buffer change", Tolerance);
    }

    [Theory]
    [InlineData(1, 3, 2, 2)]
    [InlineData(4, 6, 7, 7)]
    public void ForwardAndBackward_Evaluation_NormalizeWithTheRunningStatisticsAsTheSimdLayer(int batch, int channels, int height,
        int width)
    {
        var shape = new ImageShape(channels, height, width);
        using var model = RandomModel(batch, shape);
        var buffers = model.Store.BufferValues.ToArray();
        var input = DeviceAssert.Random(batch * shape.Size, 1).Select(value => value + 0.5f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * shape.Size, 2);
        var context = new StepContext { Training = false };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * shape.Size];
        model.ZeroGradients();
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        using var pass = new DeviceBatchNormPass(device, model, shape.Channels, shape.PlaneSize, buffers, input, outputGradient, batch);
        pass.Run(training: false);

        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(pass.Output.View), "output", Tolerance);
        DeviceAssert.Close(model.Store.Gradients, AcceleratorFixture.Download<float>(pass.Gradients.View), "weight and bias gradients", Tolerance);
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(pass.InputGradient.View), "input gradient", Tolerance);
    }

    [Fact]
    public void Forward_TrainingOnOneValuePerChannel_ThrowsAsTheSimdLayer()
    {
        var shape = new ImageShape(3, 1, 1);
        using var model = RandomModel(1, shape);
        using var pass = new DeviceBatchNormPass(device, model, shape.Channels, shape.PlaneSize, model.Store.BufferValues.ToArray(), [1f, 2f, 3f], [0f, 0f, 0f], 1);

        var refused = Assert.Throws<ArgumentException>(() => pass.Run(training: true));

        Assert.StartsWith("Batch norm 'bn' needs at least 2 values per channel in training to estimate a variance, got 1.",
            refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A batch norm 2d with random gamma, beta and running statistics (variances in [0.5, 1.5)).</summary>
    private static Model RandomModel(int batch, ImageShape shape)
    {
        var model = new Model([new BatchNorm2d("bn", shape, momentum: 0.3f)], batch);
        model.Initialize(7);
        DeviceAssert.Random(model.Store.Count, 3).CopyTo(model.Store.Values);
        int channels = shape.Channels;
        var running = DeviceAssert.Random(2 * channels, 4);
        for (int c = 0; c < channels; c++)
        {
            running[channels + c] = running[channels + c] * 0.5f + 1f;
        }
        running.CopyTo(model.Store.BufferValues);
        return model;
    }
}
