using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Regularization;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ElasticNetRegularizerTests
{
    [Fact]
    public void AddPenalty_MixedRoles_ReturnsSumOfL1AndL2Terms()
    {
        var parameters = RegularizerTestData.Parameters();

        double penalty = new ElasticNetRegularizer(0.1f, 0.5f).AddPenalty(new float[7], parameters, RegularizerTestData.Views);

        // 0.1 · 6 + 0.5 / 2 · 14
        Assert.Equal(0.6 + 3.5, penalty, 6);
    }

    [Fact]
    public void AddPenalty_MixedRoles_AddsBothGradientsToWeightsOnly()
    {
        var parameters = RegularizerTestData.Parameters();
        var gradients = new float[7];

        new ElasticNetRegularizer(0.25f, 0.5f).AddPenalty(gradients, parameters, RegularizerTestData.Views);

        Assert.Equal([0.75f, -1.25f, 0f, 1.75f, 0f, 0f, 0f], gradients);
    }

    [Fact]
    public void AddPenalty_RandomWeights_GradientMatchesCentralDifferences()
    {
        var weights = RegularizerTestData.AwayFromZero(12, 23);
        ParameterView[] views = [new("w", 0, [3, 4], ParameterRole.Weight, "fc")];
        var regularizer = new ElasticNetRegularizer(0.2f, 0.6f);
        var gradients = new float[12];
        var scratch = new float[12];

        regularizer.AddPenalty(gradients, weights, views);
        var numeric = CentralDifferences.Gradient(w => regularizer.AddPenalty(scratch, w, views), weights, 1e-3);

        CentralDifferences.AssertClose(gradients, numeric, 1e-4);
    }

    [Fact]
    public void Constructor_NaNStrength_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ElasticNetRegularizer(0.1f, float.NaN));

        Assert.StartsWith("Invalid l2: NaN (must be finite and >= 0)", error.Message);
    }
}
