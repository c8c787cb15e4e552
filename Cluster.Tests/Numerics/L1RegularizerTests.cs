using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Regularization;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class L1RegularizerTests
{
    [Fact]
    public void AddPenalty_MixedRoles_ReturnsL1TimesAbsoluteSumOfWeightsOnly()
    {
        var parameters = RegularizerTestData.Parameters();

        double penalty = new L1Regularizer(0.1f).AddPenalty(new float[7], parameters, RegularizerTestData.Views);

        // 0.1 · (1 + 2 + 0 + 3); the bias and scale are not penalized.
        Assert.Equal(0.6, penalty, 6);
    }

    [Fact]
    public void AddPenalty_MixedRoles_AddsSignTimesL1ToWeightGradientsOnly()
    {
        var parameters = RegularizerTestData.Parameters();
        float[] gradients = [1f, 1f, 1f, 1f, 1f, 1f, 1f];

        new L1Regularizer(0.5f).AddPenalty(gradients, parameters, RegularizerTestData.Views);

        // sign(0) = 0 leaves the zero weight's gradient alone.
        Assert.Equal([1.5f, 0.5f, 1f, 1.5f, 1f, 1f, 1f], gradients);
    }

    [Fact]
    public void AddPenalty_RandomWeights_GradientMatchesCentralDifferences()
    {
        var weights = RegularizerTestData.AwayFromZero(12, 21);
        ParameterView[] views = [new("w", 0, [3, 4], ParameterRole.Weight, "fc")];
        var regularizer = new L1Regularizer(0.3f);
        var gradients = new float[12];
        var scratch = new float[12];

        regularizer.AddPenalty(gradients, weights, views);
        var numeric = CentralDifferences.Gradient(w => regularizer.AddPenalty(scratch, w, views), weights, 1e-3);

        CentralDifferences.AssertClose(gradients, numeric, 1e-4);
    }

    [Fact]
    public void AddPenalty_FrozenWeight_LeavesGradientUnchanged()
    {
        ParameterView[] views = [new("w", 0, [2], ParameterRole.Weight, "fc") { Frozen = true }];
        var gradients = new float[2];

        new L1Regularizer(1f).AddPenalty(gradients, [3f, -3f], views);

        Assert.Equal([0f, 0f], gradients);
    }

    [Fact]
    public void Constructor_NegativeStrength_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new L1Regularizer(-0.1f));

        Assert.StartsWith("Invalid l1: -0.1 (must be finite and >= 0)", error.Message);
    }
}
