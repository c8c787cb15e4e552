using DistributedTrainer.Numerics.Losses;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class MultiLabelBinaryCrossEntropyTests
{
    [Theory]
    [InlineData("multi_label_3x5")]
    [InlineData("multi_label_large_logits")]
    public void Compute_GoldenCase_MatchesPyTorchBceWithLogitsMeanTimesBatch(string name)
    {
        var golden = LossGoldenCase.Load(name);

        golden.AssertMatches(new MultiLabelBinaryCrossEntropy());
    }

    [Fact]
    public void Compute_HandComputedSample_ReturnsMeanOverOutputs()
    {
        float[] logits = [0f, 0f, 2f];
        float[] targets = [1f, 0f, 1f];

        double sum = new MultiLabelBinaryCrossEntropy().Compute(new float[3], logits, targets, 1, 3);

        // (log 2 + log 2 + log(1 + e^−2)) / 3
        Assert.Equal((2 * Math.Log(2) + Math.Log(1 + Math.Exp(-2))) / 3, sum, 12);
    }

    [Fact]
    public void Compute_HandComputedSample_GradientIsSigmoidMinusTargetOverClasses()
    {
        float[] logits = [0f, 0f];
        float[] targets = [1f, 0f];
        var gradient = new float[2];

        new MultiLabelBinaryCrossEntropy().Compute(gradient, logits, targets, 1, 2);

        Assert.Equal([-0.25f, 0.25f], gradient);
    }

    [Fact]
    public void Compute_RandomInputs_GradientMatchesCentralDifferences()
    {
        var random = new Random(13);
        float[] logits = Enumerable.Range(0, 12).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        float[] targets = Enumerable.Range(0, 12).Select(_ => random.Next(2) == 0 ? 0f : 1f).ToArray();
        var loss = new MultiLabelBinaryCrossEntropy();
        var gradient = new float[12];
        var scratch = new float[12];

        loss.Compute(gradient, logits, targets, 3, 4);
        var numeric = CentralDifferences.Gradient(z => loss.Compute(scratch, z, targets, 3, 4), logits);

        CentralDifferences.AssertClose(gradient, numeric, 1e-4);
    }

    [Fact]
    public void Compute_LogitsOfTenThousand_ReturnsLimitLoss()
    {
        float[] logits = [1e4f, -1e4f, 1e4f, -1e4f];
        float[] targets = [1f, 0f, 0f, 0f];

        double sum = new MultiLabelBinaryCrossEntropy().Compute(new float[4], logits, targets, 1, 4);

        // Only the confident wrong output costs |z|, averaged over 4 outputs.
        Assert.Equal(1e4 / 4, sum);
    }

    [Fact]
    public void Compute_LogitsOfTenThousand_GradientIsSaturatedSigmoidMinusTargetOverClasses()
    {
        float[] logits = [1e4f, -1e4f, 1e4f, -1e4f];
        float[] targets = [1f, 0f, 0f, 0f];
        var gradient = new float[4];

        new MultiLabelBinaryCrossEntropy().Compute(gradient, logits, targets, 1, 4);

        Assert.Equal([0f, 0f, 0.25f, 0f], gradient);
    }

    [Fact]
    public void Compute_NegativeTarget_ThrowsNamingSampleAndOutput()
    {
        var error = Assert.Throws<ArgumentException>(
            () => new MultiLabelBinaryCrossEntropy().Compute(new float[4], new float[4], [0f, 1f, 1f, -1f], 2, 2));

        Assert.StartsWith("Invalid target for multi_label_binary_cross_entropy at sample 1, output 1: -1 (must be in [0, 1])", error.Message);
    }
}
