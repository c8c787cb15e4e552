using DistributedTrainer.Data;
using DistributedTrainer.Data.Shards;
using DistributedTrainer.Tests.Data.Shards;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class SampleReadAheadTests : IDisposable
{
    // Byte images with class ids, 40 samples in shards of 7, standardized as a job's training split is.
    private readonly TemporaryDirectory _directory = new();
    private readonly Dataset _data;

    public SampleReadAheadTests()
    {
        var shards = ShardTestData.ConvertToShards(ShardTestData.WriteIdx(_directory.Path), _directory.Path);
        var (data, _) = ShardedDataset.Open(shards.TrainPath);
        _data = data.WithNormalization(Normalization.Fit(NormalizationKind.Standardize, data));
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Gather_SamplesReadAhead_SameFloatsAndLabelsAsTheFilesAllHits()
    {
        await using var readAhead = SampleReadAhead.For(_data)!;
        // Out of order, across shard boundaries, with a repeat.
        int[] ids = [39, 6, 7, 8, 0, 21, 7, 13];
        readAhead.Prefetch(ids);
        bool inUse = await readAhead.UseAsync(CancellationToken.None);

        var (features, labels) = Gather(readAhead.Data, ids);
        var counts = readAhead.Release();

        Assert.True(inUse);
        Assert.Equal(Gather(_data, ids), (features, labels), GatherComparer.Instance);
        Assert.Equal((ids.Length, 0L), counts);
    }

    [Fact]
    public async Task Gather_OtherSamplesThanReadAhead_ReadsTheRestFromTheFiles()
    {
        await using var readAhead = SampleReadAhead.For(_data)!;
        readAhead.Prefetch([1, 2, 3, 4, 30]);
        await readAhead.UseAsync(CancellationToken.None);
        // Two of the samples read ahead, three that were not.
        int[] ids = [5, 30, 17, 2, 38];

        var gathered = Gather(readAhead.Data, ids);
        var counts = readAhead.Release();

        Assert.Equal(Gather(_data, ids), gathered, GatherComparer.Instance);
        Assert.Equal((2L, 3L), counts);
    }

    [Fact]
    public async Task Gather_SubsetSamplesReadAhead_SameAsTheSubsetFromTheFiles()
    {
        // A validation split leaves the training split a subset: ids are its positions, not the files' rows.
        var subset = _data.Subset([35, 3, 20, 11, 12, 0]);
        await using var readAhead = SampleReadAhead.For(subset)!;
        int[] ids = [0, 1, 2, 3, 4, 5];
        readAhead.Prefetch(ids);
        await readAhead.UseAsync(CancellationToken.None);

        var gathered = Gather(readAhead.Data, ids);
        var counts = readAhead.Release();

        Assert.Equal(Gather(subset, ids), gathered, GatherComparer.Instance);
        Assert.Equal((6L, 0L), counts);
    }

    [Fact]
    public async Task GatherTargets_RealTargetsReadAhead_SameFloatsAsTheFiles()
    {
        var real = ShardedDataset.Open(ShardedSamplesTests.WriteNumberedShards(_directory.Path)).Data;
        await using var readAhead = SampleReadAhead.For(real)!;
        int[] ids = [24, 9, 10, 3];
        readAhead.Prefetch(ids);
        await readAhead.UseAsync(CancellationToken.None);

        var (features, targets) = (new float[ids.Length * real.FeatureCount], new float[ids.Length * real.TargetWidth]);
        readAhead.Data.GatherTargets(features, targets, ids);
        var counts = readAhead.Release();

        var (expectedFeatures, expectedTargets) = (new float[features.Length], new float[targets.Length]);
        real.GatherTargets(expectedFeatures, expectedTargets, ids);
        Assert.Equal(expectedFeatures, features);
        Assert.Equal(expectedTargets, targets);
        Assert.Equal((4L, 0L), counts);
    }

    [Fact]
    public async Task UseAsync_ReadAheadFailed_GathersReadTheFilesInstead()
    {
        // Shard 5 (samples 35 to 39) loses its last row, so a read ahead of sample 39 fails; sample 36 is still there.
        string file = Path.Combine(_directory.Path, "train-shards", "shard-00005.features.npy");
        using (var stream = new FileStream(file, FileMode.Open))
        {
            stream.SetLength(stream.Length - 16);
        }
        await using var readAhead = SampleReadAhead.For(_data)!;
        readAhead.Prefetch([36, 39]);

        bool inUse = await readAhead.UseAsync(CancellationToken.None);
        var gathered = Gather(readAhead.Data, [36]);
        var counts = readAhead.Release();

        Assert.False(inUse);
        Assert.Equal(Gather(_data, [36]), gathered, GatherComparer.Instance);
        Assert.Equal((0L, 1L), counts);
    }

    [Fact]
    public async Task Release_AfterUse_GathersReadTheFilesAgain()
    {
        await using var readAhead = SampleReadAhead.For(_data)!;
        readAhead.Prefetch([1, 2]);
        await readAhead.UseAsync(CancellationToken.None);
        readAhead.Release();

        var gathered = Gather(readAhead.Data, [1, 2]);

        Assert.Equal(Gather(_data, [1, 2]), gathered, GatherComparer.Instance);
        Assert.Equal((0L, 2L), readAhead.Release());
    }

    [Fact]
    public async Task UseAsync_StepCancelledWhileWaiting_ThrowsAndTheNextStepReadsAheadAgain()
    {
        await using var readAhead = SampleReadAhead.For(_data)!;
        readAhead.Prefetch([1, 2]);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => readAhead.UseAsync(cancelled.Token).AsTask());
        readAhead.Prefetch([3, 4]);
        bool inUse = await readAhead.UseAsync(CancellationToken.None);
        var gathered = Gather(readAhead.Data, [3, 4]);

        Assert.True(inUse);
        Assert.Equal(Gather(_data, [3, 4]), gathered, GatherComparer.Instance);
        Assert.Equal((2L, 0L), readAhead.Release());
    }

    [Fact]
    public void For_DataInMemory_IsNull()
    {
        var inMemory = Dataset.FromBytes(new byte[8], [0, 1], featureCount: 4, classCount: 2);

        Assert.Null(SampleReadAhead.For(inMemory));
    }

    private static (float[] Features, int[] Labels) Gather(Dataset data, int[] ids)
    {
        var features = new float[ids.Length * data.FeatureCount];
        var labels = new int[ids.Length];
        data.Gather(features, labels, ids);
        return (features, labels);
    }

    // Bitwise: a read ahead must give the very floats a read gives, not close ones.
    private sealed class GatherComparer : IEqualityComparer<(float[] Features, int[] Labels)>
    {
        public static readonly GatherComparer Instance = new();

        public bool Equals((float[] Features, int[] Labels) x, (float[] Features, int[] Labels) y) =>
            x.Features.Select(BitConverter.SingleToInt32Bits).SequenceEqual(y.Features.Select(BitConverter.SingleToInt32Bits))
            && x.Labels.SequenceEqual(y.Labels);

        public int GetHashCode((float[] Features, int[] Labels) obj) => obj.Features.Length;
    }
}
