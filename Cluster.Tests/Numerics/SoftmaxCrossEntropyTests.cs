using DistributedTrainer.Numerics.Losses;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class SoftmaxCrossEntropyTests
{
    [Theory]
    [InlineData("softmax_ce_one_hot")]
    [InlineData("softmax_ce_probabilities")]
    [InlineData("softmax_ce_large_logits")]
    public void Compute_GoldenCase_MatchesPyTorchCrossEntropySum(string name)
    {
        var golden = LossGoldenCase.Load(name);

        golden.AssertMatches(new SoftmaxCrossEntropy());
    }

    [Fact]
    public void Compute_EqualLogits_ReturnsLogOfClassCount()
    {
        float[] logits = [0f, 0f, 0f, 0f];
        float[] targets = [0f, 1f, 0f, 0f];

        double sum = new SoftmaxCrossEntropy().Compute(new float[4], logits, targets, 1, 4);

        Assert.Equal(Math.Log(4), sum, 6);
    }

    [Fact]
    public void Compute_EqualLogits_GradientIsSoftmaxMinusTarget()
    {
        float[] logits = [0f, 0f, 0f, 0f];
        float[] targets = [0f, 1f, 0f, 0f];
        var gradient = new float[4];

        new SoftmaxCrossEntropy().Compute(gradient, logits, targets, 1, 4);

        Assert.Equal([0.25f, -0.75f, 0.25f, 0.25f], gradient);
    }

    [Fact]
    public void Compute_HandComputedRows_ReturnsSumOfRowLosses()
    {
        float[] logits = [1f, 2f, 3f, 0f, 0f, 5f];
        float[] targets = [0f, 0f, 1f, 0.5f, 0.5f, 0f];
        double lse0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        double lse1 = Math.Log(2 + Math.Exp(5));

        double sum = new SoftmaxCrossEntropy().Compute(new float[6], logits, targets, 2, 3);

        Assert.Equal((lse0 - 3) + lse1, sum, 5);
    }

    [Fact]
    public void Compute_ProbabilityTargets_GradientMatchesCentralDifferences()
    {
        var random = new Random(14);
        float[] logits = Enumerable.Range(0, 15).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        float[] targets = ProbabilityRows(random, 3, 5);
        var loss = new SoftmaxCrossEntropy();
        var gradient = new float[15];
        var scratch = new float[15];

        loss.Compute(gradient, logits, targets, 3, 5);
        var numeric = CentralDifferences.Gradient(z => loss.Compute(scratch, z, targets, 3, 5), logits);

        CentralDifferences.AssertClose(gradient, numeric, 1e-3);
    }

    [Fact]
    public void Compute_TargetRowsNotSummingToOne_GradientMatchesCentralDifferences()
    {
        var random = new Random(15);
        float[] logits = Enumerable.Range(0, 8).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        float[] targets = [0.5f, 0f, 0.2f, 0f, 1f, 1f, 0f, 0.5f];
        var loss = new SoftmaxCrossEntropy();
        var gradient = new float[8];
        var scratch = new float[8];

        loss.Compute(gradient, logits, targets, 2, 4);
        var numeric = CentralDifferences.Gradient(z => loss.Compute(scratch, z, targets, 2, 4), logits);

        CentralDifferences.AssertClose(gradient, numeric, 1e-3);
    }

    [Fact]
    public void Compute_LogitsOfTenThousand_ReturnsLimitLoss()
    {
        float[] logits = [1e4f, -1e4f, 1e4f, -1e4f];
        float[] targets = [1f, 0f, 0f, 1f];

        double sum = new SoftmaxCrossEntropy().Compute(new float[4], logits, targets, 2, 2);

        // Right with a margin of 2e4 costs 0; wrong by 2e4 costs 2e4.
        Assert.Equal(2e4, sum);
    }

    [Fact]
    public void Compute_LogitsOfTenThousand_GradientIsOneHotSoftmaxMinusTarget()
    {
        float[] logits = [1e4f, -1e4f, 1e4f, -1e4f];
        float[] targets = [1f, 0f, 0f, 1f];
        var gradient = new float[4];

        new SoftmaxCrossEntropy().Compute(gradient, logits, targets, 2, 2);

        Assert.Equal([0f, 0f, 1f, -1f], gradient);
    }

    [Fact]
    public void Compute_ShiftedRow_LeavesLossUnchanged()
    {
        float[] logits = [0.5f, -1f, 2f];
        float[] shifted = [5000.5f, 4999f, 5002f];
        float[] targets = [0f, 1f, 0f];

        double reference = new SoftmaxCrossEntropy().Compute(new float[3], logits, targets, 1, 3);
        double sum = new SoftmaxCrossEntropy().Compute(new float[3], shifted, targets, 1, 3);

        Assert.Equal(reference, sum, 4);
    }

    [Fact]
    public void Compute_GradientTooShort_ThrowsNamingLength()
    {
        var error = Assert.Throws<ArgumentException>(
            () => new SoftmaxCrossEntropy().Compute(new float[5], new float[6], new float[6], 2, 3));

        Assert.StartsWith("Invalid gradient length for softmax_cross_entropy: 5 (must be batch 2 × classes 3 = 6)", error.Message);
    }

    private static float[] ProbabilityRows(Random random, int rows, int columns)
    {
        var values = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                row[c] = (float)random.NextDouble();
            }
            float total = System.Numerics.Tensors.TensorPrimitives.Sum(row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, total, row);
        }
        return values;
    }
}
