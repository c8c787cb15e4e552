using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Training;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The loss kernels against <see cref="SoftmaxCrossEntropy"/> and <see cref="MeanSquaredError"/> on the SIMD path.</summary>
public sealed class LossKernelsTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    [Theory]
    [InlineData("softmax_cross_entropy", 1, 2)]
    [InlineData("softmax_cross_entropy", 13, 10)]
    [InlineData("softmax_cross_entropy", 32, 37)]
    [InlineData("mse", 1, 2)]
    [InlineData("mse", 13, 10)]
    public void Kernel_RandomLogits_MatchesTheSimdLossWithinTolerance(string name, int batch, int classes)
    {
        Loss loss = name == "mse" ? new MeanSquaredError() : new SoftmaxCrossEntropy();
        var kernel = name == "mse" ? device.Kernels.MeanSquaredError : device.Kernels.SoftmaxCrossEntropy;
        // Logits up to ±20, with one row of ties to check the lowest-index prediction.
        var outputs = DeviceAssert.Random(batch * classes, classes).Select(value => value * 20).ToArray();
        Array.Fill(outputs, 3f, 0, classes);
        int[] labels = [.. Enumerable.Range(0, batch).Select(row => (row * 7) % classes)];
        var targets = new float[batch * classes];
        TargetEncoding.Encode(targets, labels, classes);
        var expectedGradient = new float[batch * classes];
        double expectedLoss = loss.Compute(expectedGradient, outputs, targets, batch, classes);
        int expectedCorrect = TargetEncoding.CountCorrect(outputs, labels, classes);

        using var logits = device.Upload(outputs);
        using var labelBuffer = device.Upload(labels);
        using var gradient = device.Zeros<float>(batch * classes);
        using var losses = device.Zeros<double>(batch);
        using var correct = device.Zeros<int>(batch);
        kernel(batch, gradient.View, losses.View, correct.View, logits.View, labelBuffer.View, classes);

        DeviceAssert.Close(expectedGradient, AcceleratorFixture.Download<float>(gradient.View), $"{name} gradient");
        double actualLoss = AcceleratorFixture.Download<double>(losses.View).Sum();
        Assert.True(Math.Abs(actualLoss - expectedLoss) <= 1e-5 * (1 + Math.Abs(expectedLoss)),
            $"{name} loss sum {actualLoss}, expected {expectedLoss}");
        Assert.Equal(expectedCorrect, AcceleratorFixture.Download<int>(correct.View).Sum());
    }
}
