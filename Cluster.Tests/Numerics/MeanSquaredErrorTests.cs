using DistributedTrainer.Numerics.Losses;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class MeanSquaredErrorTests
{
    [Theory]
    [InlineData("mse_4x3")]
    [InlineData("mse_5x1")]
    public void Compute_GoldenCase_MatchesPyTorchMseLossTimesBatch(string name)
    {
        var golden = LossGoldenCase.Load(name);

        golden.AssertMatches(new MeanSquaredError());
    }

    [Fact]
    public void Compute_TwoSamples_ReturnsSumOfPerSampleMeans()
    {
        float[] outputs = [1, 2, 3, 0, 0, 0];
        float[] targets = [0, 0, 0, 1, 1, 1];
        var gradient = new float[6];

        double sum = new MeanSquaredError().Compute(gradient, outputs, targets, 2, 3);

        // (1 + 4 + 9) / 3 + (1 + 1 + 1) / 3
        Assert.Equal(17.0 / 3.0, sum, 12);
    }

    [Fact]
    public void Compute_TwoSamples_GradientIsTwiceDifferenceOverClasses()
    {
        float[] outputs = [1, 2, 3, 0, 0, 0];
        float[] targets = [0, 0, 0, 1, 1, 1];
        var gradient = new float[6];

        new MeanSquaredError().Compute(gradient, outputs, targets, 2, 3);

        Assert.Equal([2f / 3, 4f / 3, 2f, -2f / 3, -2f / 3, -2f / 3], gradient);
    }

    [Fact]
    public void Compute_RandomInputs_GradientMatchesCentralDifferences()
    {
        var random = new Random(11);
        float[] outputs = Enumerable.Range(0, 15).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        float[] targets = Enumerable.Range(0, 15).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var loss = new MeanSquaredError();
        var gradient = new float[15];
        var scratch = new float[15];

        loss.Compute(gradient, outputs, targets, 3, 5);
        var numeric = CentralDifferences.Gradient(o => loss.Compute(scratch, o, targets, 3, 5), outputs);

        CentralDifferences.AssertClose(gradient, numeric, 1e-3);
    }

    [Fact]
    public void Compute_EmptyBatch_ReturnsZero()
    {
        double sum = new MeanSquaredError().Compute([], [], [], 0, 4);

        Assert.Equal(0.0, sum);
    }

    [Fact]
    public void Compute_TargetsTooShort_ThrowsNamingLength()
    {
        var error = Assert.Throws<ArgumentException>(() => new MeanSquaredError().Compute(new float[6], new float[6], new float[5], 2, 3));

        Assert.StartsWith("Invalid targets length for mse: 5 (must be batch 2 × classes 3 = 6)", error.Message);
    }

    [Fact]
    public void Compute_ZeroClasses_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MeanSquaredError().Compute([], [], [], 2, 0));

        Assert.StartsWith("Invalid classes for mse: 0 (must be >= 1)", error.Message);
    }
}
