using DistributedTrainer.Numerics.Losses;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class BinaryCrossEntropyTests
{
    [Theory]
    [InlineData("bce_hard_labels")]
    [InlineData("bce_soft_labels")]
    [InlineData("bce_large_logits")]
    public void Compute_GoldenCase_MatchesPyTorchBceWithLogitsSum(string name)
    {
        var golden = LossGoldenCase.Load(name);

        golden.AssertMatches(new BinaryCrossEntropy());
    }

    [Fact]
    public void Compute_HandComputedLogits_ReturnsExpectedSum()
    {
        float[] logits = [0f, 2f];
        float[] targets = [1f, 0f];

        double sum = new BinaryCrossEntropy().Compute(new float[2], logits, targets, 2, 1);

        // −log σ(0) = log 2; −log(1 − σ(2)) = 2 + log(1 + e^−2)
        Assert.Equal(Math.Log(2) + 2 + Math.Log(1 + Math.Exp(-2)), sum, 12);
    }

    [Fact]
    public void Compute_HandComputedLogits_GradientIsSigmoidMinusTarget()
    {
        float[] logits = [0f, 2f];
        float[] targets = [1f, 0f];
        var gradient = new float[2];

        new BinaryCrossEntropy().Compute(gradient, logits, targets, 2, 1);

        Assert.Equal(-0.5f, gradient[0], 6);
        Assert.Equal((float)(1 / (1 + Math.Exp(-2))), gradient[1], 6);
    }

    [Fact]
    public void Compute_RandomInputs_GradientMatchesCentralDifferences()
    {
        var random = new Random(12);
        float[] logits = Enumerable.Range(0, 9).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        float[] targets = Enumerable.Range(0, 9).Select(_ => (float)random.NextDouble()).ToArray();
        var loss = new BinaryCrossEntropy();
        var gradient = new float[9];
        var scratch = new float[9];

        loss.Compute(gradient, logits, targets, 9, 1);
        var numeric = CentralDifferences.Gradient(z => loss.Compute(scratch, z, targets, 9, 1), logits);

        CentralDifferences.AssertClose(gradient, numeric, 1e-4);
    }

    [Fact]
    public void Compute_LogitsOfTenThousand_ReturnsLimitLoss()
    {
        float[] logits = [1e4f, 1e4f, -1e4f, -1e4f];
        float[] targets = [1f, 0f, 1f, 0f];

        double sum = new BinaryCrossEntropy().Compute(new float[4], logits, targets, 4, 1);

        // Confident and right costs 0; confident and wrong costs |z|.
        Assert.Equal(2e4, sum);
    }

    [Fact]
    public void Compute_LogitsOfTenThousand_GradientIsSaturatedSigmoidMinusTarget()
    {
        float[] logits = [1e4f, 1e4f, -1e4f, -1e4f];
        float[] targets = [1f, 0f, 1f, 0f];
        var gradient = new float[4];

        new BinaryCrossEntropy().Compute(gradient, logits, targets, 4, 1);

        Assert.Equal([0f, 1f, -1f, 0f], gradient);
    }

    [Fact]
    public void Compute_TwoClasses_ThrowsPointingToMultiLabel()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => new BinaryCrossEntropy().Compute(new float[4], new float[4], new float[4], 2, 2));

        Assert.StartsWith("Invalid classes for binary_cross_entropy: 2 (must be 1", error.Message);
    }

    [Fact]
    public void Compute_TargetAboveOne_ThrowsNamingSample()
    {
        var error = Assert.Throws<ArgumentException>(
            () => new BinaryCrossEntropy().Compute(new float[3], new float[3], [0f, 2f, 1f], 3, 1));

        Assert.StartsWith("Invalid target for binary_cross_entropy at sample 1, output 0: 2 (must be in [0, 1])", error.Message);
    }

    [Fact]
    public void Compute_NaNTarget_Throws()
    {
        var error = Assert.Throws<ArgumentException>(
            () => new BinaryCrossEntropy().Compute(new float[2], new float[2], [float.NaN, 1f], 2, 1));

        Assert.StartsWith("Invalid target for binary_cross_entropy at sample 0, output 0: NaN", error.Message);
    }
}
