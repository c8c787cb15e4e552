using DistributedTrainer.Data;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class ValidationSplitTests
{
    [Fact]
    public void Create_Fraction_HoldsOutRoundedShare()
    {
        var split = ValidationSplit.Create(1000, 0.1, seed: 3);

        Assert.Equal((900, 100), (split.Train.Length, split.Validation.Length));
    }

    [Fact]
    public void Create_Any_IsDisjointAndCoversAllSamples()
    {
        var split = ValidationSplit.Create(1000, 0.25, seed: 3);

        Assert.Equal(Enumerable.Range(0, 1000), split.Train.Concat(split.Validation).Order());
    }

    [Fact]
    public void Create_SameSeed_IsIdentical()
    {
        var first = ValidationSplit.Create(1000, 0.2, seed: 11);
        var second = ValidationSplit.Create(1000, 0.2, seed: 11);

        Assert.Equal(first.Validation, second.Validation);
    }

    [Fact]
    public void Create_DifferentSeed_Differs()
    {
        Assert.NotEqual(ValidationSplit.Create(1000, 0.2, seed: 11).Validation, ValidationSplit.Create(1000, 0.2, seed: 12).Validation);
    }

    [Fact]
    public void Create_Any_ReturnsAscendingLists()
    {
        var split = ValidationSplit.Create(200, 0.3, seed: 1);

        Assert.Equal(split.Validation.Order(), split.Validation);
    }

    [Fact]
    public void Create_ZeroFraction_HoldsOutNothing()
    {
        Assert.Empty(ValidationSplit.Create(10, 0, seed: 1).Validation);
    }

    [Fact]
    public void Create_FractionNearOne_KeepsOneTrainingSample()
    {
        Assert.Single(ValidationSplit.Create(10, 0.99, seed: 1).Train);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Create_FractionOutOfRange_ThrowsNamingValue(double fraction)
    {
        var error = Assert.Throws<ArgumentException>(() => ValidationSplit.Create(10, fraction, seed: 1));

        Assert.Contains("Invalid validation fraction", error.Message);
    }
}
