using DistributedTrainer.Data;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class DatasetTests
{
    // 4 samples of 3 features: sample i holds 10i, 10i+1, 10i+2 and label i % 2.
    private static Dataset Bytes() =>
        Dataset.FromBytes([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32], [0, 1, 0, 1], featureCount: 3, classCount: 2);

    [Fact]
    public void Gather_ByteData_ConvertsSamplesInRequestedOrder()
    {
        var data = Bytes();
        var features = new float[6];
        var labels = new int[2];

        data.Gather(features, labels, [3, 0]);

        Assert.Equal([30f, 31f, 32f, 0f, 1f, 2f], features);
        Assert.Equal([1, 0], labels);
    }

    [Fact]
    public void Gather_FloatData_CopiesSamples()
    {
        var data = Dataset.FromFloats([0.5f, -1f, 2f, 3f], [2, 0], featureCount: 2, classCount: 3);
        var features = new float[2];
        var labels = new int[1];

        data.Gather(features, labels, [1]);

        Assert.Equal([2f, 3f], features);
    }

    [Fact]
    public void Gather_WithScale_DividesBy255()
    {
        var data = Dataset.FromBytes([0, 51, 255], [0], featureCount: 3, classCount: 1);
        var scaled = data.WithNormalization(Normalization.Fit(NormalizationKind.Scale, data));
        var features = new float[3];

        scaled.Gather(features, new int[1], [0]);

        Assert.Equal([0f, 51f / 255f, 1f], features);
    }

    [Fact]
    public void Gather_Standardized_AllocatesNothing()
    {
        var data = Bytes().Subset([3, 2, 1, 0]);
        data = data.WithNormalization(Normalization.Fit(NormalizationKind.Standardize, data));
        var features = new float[9];
        var labels = new int[3];
        int[] indices = [2, 0, 3];
        data.Gather(features, labels, indices);

        long before = GC.GetAllocatedBytesForCurrentThread();
        data.Gather(features, labels, indices);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Subset_Gather_ReadsMappedSample()
    {
        var subset = Bytes().Subset([2, 3]);
        var features = new float[3];

        subset.Gather(features, new int[1], [1]);

        Assert.Equal([30f, 31f, 32f], features);
    }

    [Fact]
    public void Subset_Count_IsIndexCount()
    {
        Assert.Equal(2, Bytes().Subset([2, 3]).Count);
    }

    [Fact]
    public void Subset_OfSubset_ComposesIndices()
    {
        var subset = Bytes().Subset([3, 2, 1]).Subset([1]);

        Assert.Equal(0, subset.LabelAt(0));
    }

    [Fact]
    public void Gather_IndexOutOfRange_ThrowsNamingIndex()
    {
        var data = Bytes();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => data.Gather(new float[3], new int[1], [4]));

        Assert.Contains("Sample index 4 is outside the data set of 4 samples", error.Message);
    }

    [Fact]
    public void Gather_WrongBufferLength_Throws()
    {
        var data = Bytes();

        Assert.Throws<ArgumentException>(() => data.Gather(new float[5], new int[2], [0, 1]));
    }

    [Fact]
    public void FromBytes_LabelOutsideClasses_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Dataset.FromBytes([1, 2], [0, 5], featureCount: 1, classCount: 3));

        Assert.Contains("Label 5 of sample 1 is outside [0, 3)", error.Message);
    }

    [Fact]
    public void FromFloats_FeatureLengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => Dataset.FromFloats([1f, 2f, 3f], [0, 0], featureCount: 2, classCount: 1));
    }
}
