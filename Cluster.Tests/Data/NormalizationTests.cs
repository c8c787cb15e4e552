using DistributedTrainer.Data;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class NormalizationTests
{
    [Fact]
    public void Fit_StandardizeOnSubset_UsesOnlyThoseSamples()
    {
        // Feature 0 is 1, 3 on the training samples and 100 on the held-out one.
        var all = Dataset.FromFloats([1f, 5f, 3f, 5f, 100f, 5f], [0, 0, 0], featureCount: 2, classCount: 1);
        var training = all.Subset([0, 1]);

        var normalization = Normalization.Fit(NormalizationKind.Standardize, training);

        Assert.Equal((2f, 1f), (normalization.Offset[0], normalization.Divisor[0]));
    }

    [Fact]
    public void Fit_StandardizeConstantFeature_UsesDivisorOne()
    {
        var data = Dataset.FromFloats([1f, 5f, 3f, 5f], [0, 0], featureCount: 2, classCount: 1);

        var normalization = Normalization.Fit(NormalizationKind.Standardize, data);

        Assert.Equal(1f, normalization.Divisor[1]);
    }

    [Fact]
    public void Gather_StandardizedHeldOutSample_UsesTrainingStatistics()
    {
        var all = Dataset.FromFloats([1f, 5f, 3f, 5f, 100f, 5f], [0, 0, 0], featureCount: 2, classCount: 1);
        var normalization = Normalization.Fit(NormalizationKind.Standardize, all.Subset([0, 1]));
        var heldOut = all.Subset([2]).WithNormalization(normalization);
        var features = new float[2];

        heldOut.Gather(features, new int[1], [0]);

        Assert.Equal([98f, 0f], features);
    }

    [Fact]
    public void Gather_StandardizedTrainingSet_HasZeroMeanUnitVariance()
    {
        var data = Dataset.FromBytes([0, 10, 20, 30, 40, 255], [0, 0, 0, 0, 0, 0], featureCount: 1, classCount: 1);
        var standardized = data.WithNormalization(Normalization.Fit(NormalizationKind.Standardize, data));
        var features = new float[6];

        standardized.Gather(features, new int[6], [0, 1, 2, 3, 4, 5]);

        double mean = features.Average();
        double variance = features.Sum(value => (value - mean) * (value - mean)) / features.Length;
        Assert.True(Math.Abs(mean) < 1e-6 && Math.Abs(variance - 1) < 1e-5, $"mean {mean}, variance {variance}");
    }

    [Fact]
    public void Fit_StandardizeBytes_MatchesSameValuesAsFloats()
    {
        byte[] values = [0, 255, 17, 3, 254, 128, 90, 90, 1, 200];
        var bytes = Dataset.FromBytes(values, new int[5], featureCount: 2, classCount: 1);
        var floats = Dataset.FromFloats([.. values.Select(value => (float)value)], new int[5], featureCount: 2, classCount: 1);

        var fromBytes = Normalization.Fit(NormalizationKind.Standardize, bytes);
        var fromFloats = Normalization.Fit(NormalizationKind.Standardize, floats);

        Assert.Equal([.. fromFloats.Offset, .. fromFloats.Divisor], [.. fromBytes.Offset, .. fromBytes.Divisor]);
    }

    [Fact]
    public void Fit_ScaleOnFloats_DividesByLargestMagnitude()
    {
        var data = Dataset.FromFloats([2f, -8f, 4f, 1f], [0, 0], featureCount: 2, classCount: 1);

        var normalization = Normalization.Fit(NormalizationKind.Scale, data);

        Assert.Equal([8f, 8f], normalization.Divisor.ToArray());
    }

    [Fact]
    public void Fit_ScaleOnBytes_DividesBy255WhateverTheData()
    {
        var data = Dataset.FromBytes([1, 2], [0, 0], featureCount: 1, classCount: 1);

        var normalization = Normalization.Fit(NormalizationKind.Scale, data);

        Assert.Equal(255f, normalization.Divisor[0]);
    }

    [Fact]
    public void Fit_None_ReturnsIdentity()
    {
        var data = Dataset.FromBytes([1, 2], [0, 0], featureCount: 1, classCount: 1);

        Assert.Same(Normalization.None, Normalization.Fit(NormalizationKind.None, data));
    }
}
