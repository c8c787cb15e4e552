using DistributedTrainer.Data;
using DistributedTrainer.Data.Shards;
using Xunit;

namespace DistributedTrainer.Tests.Data.Shards;

public sealed class ShardedSamplesTests
{
    private const int Features = 4;
    private const int Samples = 25;
    private const int ShardSize = 10;

    [Fact]
    public void ReadFeatureRows_UnsortedRowsAcrossShardBoundaries_ReturnEachRowInTheOrderAsked()
    {
        using var directory = new TemporaryDirectory();
        var samples = ShardedSamples.Open(WriteNumberedShards(directory.Path));
        // First and last rows, a run across the boundary of shards 0 and 1 (9, 10, 11), a repeat, and a run out of order.
        int[] rows = [24, 11, 9, 10, 0, 10, 13, 12, 19, 20];
        var features = new float[rows.Length * Features];

        samples.ReadFeatureRows(features, rows);

        Assert.Equal(rows.SelectMany(Numbered).ToArray(), features);
    }

    [Fact]
    public void ReadFeatureRows_ShardTruncatedInsideAMergedRead_NamesTheFileAndRowNotItsContent()
    {
        using var directory = new TemporaryDirectory();
        string path = WriteNumberedShards(directory.Path);
        var samples = ShardedSamples.Open(path);
        string file = Path.Combine(path, "shard-00001.features.npy");
        using (var stream = new FileStream(file, FileMode.Open))
        {
            // Shard 1 holds samples 10 to 19 in rows 0 to 9 of 16 bytes: cut it inside row 3.
            stream.SetLength(stream.Length - 6 * 16 - 8);
        }
        var features = new float[6 * Features];

        var error = Assert.Throws<InvalidDataException>(() => samples.ReadFeatureRows(features, [10, 11, 12, 13, 14, 15]));

        Assert.Equal($"{file}: row 3 ends past the end of the file (was it truncated after it was opened?)", error.Message);
    }

    /// <summary>Float shards of <see cref="Samples"/> samples whose feature j of sample i is 100 i + j.</summary>
    internal static string WriteNumberedShards(string directory)
    {
        var features = Enumerable.Range(0, Samples).SelectMany(Numbered).ToArray();
        var targets = Enumerable.Range(0, Samples).Select(i => (float)i).ToArray();
        return ShardTestData.WriteFloatShards(Path.Combine(directory, "numbered"), features, Features, TargetKind.Real, targets,
            [1], ShardSize);
    }

    private static IEnumerable<float> Numbered(int sample) => Enumerable.Range(0, Features).Select(j => (float)(100 * sample + j));
}
