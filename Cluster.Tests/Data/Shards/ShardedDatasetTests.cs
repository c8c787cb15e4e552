using DistributedTrainer.Data;
using DistributedTrainer.Data.Shards;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Data.Shards;

public sealed class ShardedDatasetTests
{
    [Fact]
    public void Gather_ShardsConvertedFromIdx_EqualsTheIdxDataSetAcrossShardBoundaries()
    {
        using var directory = new TemporaryDirectory();
        var idx = ShardTestData.WriteIdx(directory.Path);
        var shards = ShardTestData.ConvertToShards(idx, directory.Path, shardSize: 7);
        var fromIdx = DatasetLoader.Load(idx, seed: 1).Train;
        var fromShards = DatasetLoader.Load(shards, seed: 1).Train;
        int[] ids = [39, 0, 6, 7, 13, 14, 35];
        var (idxFeatures, idxLabels) = (new float[ids.Length * 16], new int[ids.Length]);
        var (shardFeatures, shardLabels) = (new float[ids.Length * 16], new int[ids.Length]);

        fromIdx.Gather(idxFeatures, idxLabels, ids);
        fromShards.Gather(shardFeatures, shardLabels, ids);

        Assert.Equal(idxFeatures, shardFeatures);
        Assert.Equal(idxLabels, shardLabels);
    }

    [Fact]
    public void Load_ShardsWithStandardize_FitsTheSameStatisticsAsIdx()
    {
        using var directory = new TemporaryDirectory();
        var idx = ShardTestData.WriteIdx(directory.Path);
        idx.Normalization = DatasetSpec.Types.Normalization.Standardize;
        idx.ValidationFraction = 0.25f;
        var shards = ShardTestData.ConvertToShards(idx, directory.Path);

        var fromIdx = DatasetLoader.Load(idx, seed: 4).Train.Normalization;
        var fromShards = DatasetLoader.Load(shards, seed: 4).Train.Normalization;

        Assert.Equal(fromIdx.Offset.ToArray().Concat(fromIdx.Divisor.ToArray()), fromShards.Offset.ToArray().Concat(fromShards.Divisor.ToArray()));
    }

    [Fact]
    public void GatherTargets_RealTargets_ReturnsTheStoredValues()
    {
        using var directory = new TemporaryDirectory();
        float[] features = [.. Enumerable.Range(0, 10 * 3).Select(i => i * 0.5f)];
        float[] targets = [.. Enumerable.Range(0, 10 * 2).Select(i => -i * 0.25f)];
        string path = ShardTestData.WriteFloatShards(directory.File("real"), features, 3, TargetKind.Real, targets, [2], shardSize: 4);
        var (data, _) = ShardedDataset.Open(path);
        var (gatheredFeatures, gatheredTargets) = (new float[6], new float[4]);

        data.GatherTargets(gatheredFeatures, gatheredTargets, [9, 4]);

        Assert.Equal((TargetKind.Real, 2, 2), (data.TargetKind, data.TargetWidth, data.ClassCount));
        Assert.Equal([13.5f, 14f, 14.5f, 6f, 6.5f, 7f], gatheredFeatures);
        Assert.Equal([-4.5f, -4.75f, -2f, -2.25f], gatheredTargets);
    }

    [Fact]
    public void GatherTargets_MultiHotUInt8_ConvertsTheBitsToFloats()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("multi");
        ShardConverter.WriteAtomically(path, temporary =>
        {
            using var writer = new ShardWriter(temporary, NpyDType.UInt8, [2], TargetKind.MultiHot, NpyDType.UInt8, [3], 3, 2, 1);
            writer.Add([1, 2], [1, 0, 1]);
            writer.Add([3, 4], [0, 1, 1]);
            return writer.Complete();
        });
        var (data, _) = ShardedDataset.Open(path);
        var (features, targets) = (new float[2], new float[3]);

        data.GatherTargets(features, targets, [1]);

        Assert.Equal([3f, 4f], features);
        Assert.Equal([0f, 1f, 1f], targets);
    }

    [Fact]
    public void Gather_ClassIdOutsideTheClasses_NamesTheFileAndSampleWithoutTheId()
    {
        using var directory = new TemporaryDirectory();
        float[] labels = [0, 1, 7];
        string path = directory.File("bad");
        ShardConverter.WriteAtomically(path, temporary =>
        {
            using var writer = new ShardWriter(temporary, NpyDType.UInt8, [1], TargetKind.ClassIds, NpyDType.UInt8, [], 3, 3, 10);
            foreach (byte label in labels.Select(label => (byte)label))
            {
                writer.Add([label], [label]);
            }
            return writer.Complete();
        });
        var (data, _) = ShardedDataset.Open(path);

        var error = Assert.Throws<InvalidDataException>(() => data.Gather(new float[1], new int[1], [2]));

        Assert.Equal($"{Path.Combine(path, "shard-00000.targets.npy")}: sample 2 has a class id outside [0, 3)", error.Message);
    }

    [Fact]
    public void Gather_ShardTruncatedAfterOpening_NamesTheFileAndRowNotItsContent()
    {
        using var directory = new TemporaryDirectory();
        var shards = ShardTestData.ConvertToShards(ShardTestData.WriteIdx(directory.Path), directory.Path, shardSize: 16);
        var data = DatasetLoader.Load(shards, seed: 1).Train;
        string file = Path.Combine(shards.TrainPath, "shard-00001.features.npy");
        using (var stream = new FileStream(file, FileMode.Open))
        {
            // Shard 1 holds samples 16 to 31 in rows 0 to 15 of 16 bytes: cut it inside row 3.
            stream.SetLength(stream.Length - 12 * 16 - 8);
        }
        var (features, labels) = (new float[16], new int[1]);
        data.Gather(features, labels, [18]);

        var error = Assert.Throws<InvalidDataException>(() => data.Gather(features, labels, [19]));

        Assert.Equal($"{file}: row 3 ends past the end of the file (was it truncated after it was opened?)", error.Message);
    }

    [Fact]
    public void Open_TruncatedShard_NamesTheIndexFieldAndTheFile()
    {
        using var directory = new TemporaryDirectory();
        var shards = ShardTestData.ConvertToShards(ShardTestData.WriteIdx(directory.Path), directory.Path, shardSize: 16);
        string file = Path.Combine(shards.TrainPath, "shard-00001.features.npy");
        using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(stream.Length - 1);
        }

        var error = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(shards.TrainPath));

        Assert.StartsWith($"index.json: shards[1].features: {file} is ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ShardLinkedOutsideTheDirectory_IsRefused()
    {
        using var directory = new TemporaryDirectory();
        var shards = ShardTestData.ConvertToShards(ShardTestData.WriteIdx(directory.Path), directory.Path, shardSize: 64);
        string file = Path.Combine(shards.TrainPath, "shard-00000.targets.npy");
        string outside = directory.File("outside.npy");
        File.Move(file, outside);
        File.CreateSymbolicLink(file, outside);

        var error = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(shards.TrainPath));

        Assert.Equal($"index.json: shards[0].targets: {file} leads outside the shard directory (links are resolved)", error.Message);
    }

    [Fact]
    public void Load_ShardsWithoutNumClasses_AsksForIt()
    {
        using var directory = new TemporaryDirectory();
        string train = directory.File("train");
        ShardConverter.WriteAtomically(train, temporary =>
        {
            using var writer = new ShardWriter(temporary, NpyDType.UInt8, [1], TargetKind.ClassIds, NpyDType.Int64, [], null, 1, 1);
            writer.Add([1], new byte[8]);
            return writer.Complete();
        });
        var spec = new DatasetSpec { Format = DatasetSpec.Types.Format.Shards, TrainPath = train, TestPath = train };

        var error = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.Equal("dataset.train_path: index.json: targets.num_classes: required for class_ids unless the spec sets dataset.num_classes", error.Message);
    }

    [Fact]
    public void Load_MissingShardDirectory_NamesTheField()
    {
        using var directory = new TemporaryDirectory();
        var spec = new DatasetSpec { Format = DatasetSpec.Types.Format.Shards, TrainPath = directory.File("none"), TestPath = directory.File("none") };

        var error = Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.StartsWith("dataset.train_path: no shard directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnspecifiedFormatOnADirectory_ReadsShards()
    {
        using var directory = new TemporaryDirectory();
        var shards = ShardTestData.ConvertToShards(ShardTestData.WriteIdx(directory.Path), directory.Path);
        shards.Format = DatasetSpec.Types.Format.Unspecified;

        var data = DatasetLoader.Load(shards, seed: 1);

        Assert.Equal((ShardTestData.TrainSamples, ShardTestData.TestSamples, 3), (data.Train.Count, data.Test.Count, data.ClassCount));
    }
}
