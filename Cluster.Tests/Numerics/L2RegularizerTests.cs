using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Regularization;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class L2RegularizerTests
{
    [Fact]
    public void AddPenalty_MixedRoles_ReturnsHalfL2TimesSquaredNormOfWeightsOnly()
    {
        var parameters = RegularizerTestData.Parameters();

        double penalty = new L2Regularizer(0.5f).AddPenalty(new float[7], parameters, RegularizerTestData.Views);

        // 0.5 / 2 · (1 + 4 + 0 + 9)
        Assert.Equal(3.5, penalty, 6);
    }

    [Fact]
    public void AddPenalty_MixedRoles_AddsL2TimesWeightToWeightGradientsOnly()
    {
        var parameters = RegularizerTestData.Parameters();
        float[] gradients = [1f, 1f, 1f, 1f, 1f, 1f, 1f];

        new L2Regularizer(0.5f).AddPenalty(gradients, parameters, RegularizerTestData.Views);

        Assert.Equal([1.5f, 0f, 1f, 2.5f, 1f, 1f, 1f], gradients);
    }

    [Fact]
    public void AddPenalty_RandomWeights_GradientMatchesCentralDifferences()
    {
        var weights = RegularizerTestData.AwayFromZero(12, 22);
        ParameterView[] views = [new("w", 0, [3, 4], ParameterRole.Weight, "fc")];
        var regularizer = new L2Regularizer(0.7f);
        var gradients = new float[12];
        var scratch = new float[12];

        regularizer.AddPenalty(gradients, weights, views);
        var numeric = CentralDifferences.Gradient(w => regularizer.AddPenalty(scratch, w, views), weights, 1e-3);

        CentralDifferences.AssertClose(gradients, numeric, 1e-4);
    }

    [Fact]
    public void AddPenalty_GradientsShorterThanParameters_Throws()
    {
        var error = Assert.Throws<ArgumentException>(
            () => new L2Regularizer(1f).AddPenalty(new float[6], RegularizerTestData.Parameters(), RegularizerTestData.Views));

        Assert.StartsWith("Invalid gradients length: 6 (must equal the 7 parameters)", error.Message);
    }

    [Fact]
    public void AddPenalty_ViewPastTheEnd_ThrowsNamingTheView()
    {
        ParameterView[] views = [new("fc.weight", 4, [2, 2], ParameterRole.Weight, "fc")];

        var error = Assert.Throws<ArgumentException>(() => new L2Regularizer(1f).AddPenalty(new float[6], new float[6], views));

        Assert.StartsWith("Parameter 'fc.weight' covers [4, 8) but the vector has 6 values.", error.Message);
    }

    [Fact]
    public void Constructor_InfiniteStrength_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new L2Regularizer(float.PositiveInfinity));

        Assert.StartsWith("Invalid l2: Infinity (must be finite and >= 0)", error.Message);
    }
}
