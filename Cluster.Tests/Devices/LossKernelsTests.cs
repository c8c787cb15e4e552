using DistributedTrainer.Data;
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
    [InlineData("softmax_cross_entropy", 1, 2, 1)]
    [InlineData("softmax_cross_entropy", 13, 10, 1)]
    [InlineData("softmax_cross_entropy", 32, 37, 1)]
    [InlineData("softmax_cross_entropy", 5, 11, 6)]
    [InlineData("mse", 1, 2, 1)]
    [InlineData("mse", 13, 10, 1)]
    [InlineData("mse", 5, 11, 6)]
    public void Kernel_RandomLogits_MatchesTheSimdLossWithinTolerance(string name, int batch, int classes, int steps)
    {
        // With several steps a sample is `steps` rows of the loss, each weighted 1/steps (TargetEncoding.StepLoss), and
        // every fifth row is an unscored step (a zero target row).
        int rows = batch * steps;
        Loss loss = name == "mse" ? new MeanSquaredError() : new SoftmaxCrossEntropy();
        var kernel = name == "mse" ? device.Kernels.MeanSquaredError : device.Kernels.SoftmaxCrossEntropy;
        // Logits up to ±20, with one row of ties to check the lowest-index prediction.
        var outputs = DeviceAssert.Random(rows * classes, classes).Select(value => value * 20).ToArray();
        Array.Fill(outputs, 3f, 0, classes);
        int[] labels = [.. Enumerable.Range(0, rows).Select(row => steps > 1 && row % 5 == 4 ? Dataset.Unscored : (row * 7) % classes)];
        var targets = new float[rows * classes];
        TargetEncoding.Encode(targets, labels, classes);
        var expectedGradient = new float[rows * classes];
        double expectedLoss = TargetEncoding.StepLoss(loss, expectedGradient, outputs, targets, batch, steps, classes);
        int expectedCorrect = TargetEncoding.CountCorrect(outputs, labels, classes);

        using var logits = device.Upload(outputs);
        using var labelBuffer = device.Upload(labels);
        using var gradient = device.Zeros<float>(rows * classes);
        using var losses = device.Zeros<double>(rows);
        using var correct = device.Zeros<int>(rows);
        kernel(rows, gradient.View, losses.View, correct.View, logits.View, labelBuffer.View, classes, 1f / steps);

        DeviceAssert.Close(expectedGradient, AcceleratorFixture.Download<float>(gradient.View), $"{name} gradient");
        double actualLoss = AcceleratorFixture.Download<double>(losses.View).Sum() / steps;
        Assert.True(Math.Abs(actualLoss - expectedLoss) <= 1e-5 * (1 + Math.Abs(expectedLoss)),
            $"{name} loss sum {actualLoss}, expected {expectedLoss}");
        Assert.Equal(expectedCorrect, AcceleratorFixture.Download<int>(correct.View).Sum());
    }
}
