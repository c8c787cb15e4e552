using DistributedTrainer.Data;
using DistributedTrainer.Data.Shards;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Data.Shards;

public sealed class ShardConverterTests
{
    private static float[] TrainParameters(JobSpec spec)
    {
        var input = JobInput.FromSpec(spec);
        using var trainer = Trainer.Create(input.Spec, input.Data);
        trainer.Run(new RecordingObserver());
        return trainer.Model.Store.Values.ToArray();
    }

    [Fact]
    public void FromIdx_ShardSizeSeven_WritesShardsOfSevenAndARemainder()
    {
        using var directory = new TemporaryDirectory();
        var idx = ShardTestData.WriteIdx(directory.Path);

        var index = ShardConverter.FromIdx(idx.TrainPath, idx.TrainLabelsPath, directory.File("out"), shardSize: 7);

        Assert.Equal([7, 7, 7, 7, 7, 5], index.Shards.Select(shard => shard.Samples));
        Assert.Equal((NpyDType.UInt8, 3), (index.FeatureType, index.ClassCount));
        Assert.Equal([4, 4], index.FeatureShape);
        Assert.All(ShardVerifier.Verify(directory.File("out"), index), check => Assert.True(check.Matches, check.File));
    }

    [Theory]
    [InlineData(DatasetSpec.Types.Normalization.Scale, 0f)]
    [InlineData(DatasetSpec.Types.Normalization.Standardize, 0.25f)]
    public void Train_ShardsConvertedFromIdx_GivesBitwiseTheIdxParameters(DatasetSpec.Types.Normalization normalization, float validation)
    {
        using var directory = new TemporaryDirectory();
        var idx = ShardTestData.WriteIdx(directory.Path);
        idx.Normalization = normalization;
        idx.ValidationFraction = validation;
        var shards = ShardTestData.ConvertToShards(idx, directory.Path, shardSize: 9);

        var fromIdx = TrainParameters(ShardTestData.Job(idx));
        var fromShards = TrainParameters(ShardTestData.Job(shards));

        Assert.Equal(fromIdx, fromShards);
    }

    [Fact]
    public void FromCsv_Rows_KeepsFloatFeaturesAndClassIds()
    {
        using var directory = new TemporaryDirectory();
        string csv = directory.File("data.csv");
        File.WriteAllText(csv, "label,a,b\n1,0.5,-2\n0,3.25,4\n2,1,1\n");

        ShardConverter.FromCsv(csv, 0, hasHeader: true, directory.File("out"), shardSize: 2);
        var (data, index) = ShardedDataset.Open(directory.File("out"));
        var (features, labels) = (new float[6], new int[3]);
        data.Gather(features, labels, [0, 1, 2]);

        Assert.Equal((NpyDType.Float32, NpyDType.Int32, 3), (index.FeatureType, index.TargetType, index.ClassCount));
        Assert.Equal([0.5f, -2f, 3.25f, 4f, 1f, 1f], features);
        Assert.Equal([1, 0, 2], labels);
    }

    [Fact]
    public void WriteAtomically_WriteFails_LeavesNoDirectoryBehind()
    {
        using var directory = new TemporaryDirectory();

        Assert.Throws<InvalidDataException>(() => ShardConverter.WriteAtomically(directory.File("out"), temporary =>
        {
            File.WriteAllText(Path.Combine(temporary, "partial.npy"), "x");
            throw new InvalidDataException("input is bad");
        }));

        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public void WriteAtomically_OutputExists_IsRefused()
    {
        using var directory = new TemporaryDirectory();
        Directory.CreateDirectory(directory.File("out"));

        var error = Assert.Throws<IOException>(() => ShardConverter.WriteAtomically(directory.File("out"), _ => throw new InvalidOperationException("not reached")));

        Assert.Equal($"{directory.File("out")} exists already (convert writes a new directory)", error.Message);
    }
}
