using System.Runtime.InteropServices;
using DistributedTrainer.Data.Shards;
using Xunit;

namespace DistributedTrainer.Tests.Data.Shards;

public sealed class NpyRowsTests
{
    [Fact]
    public void ReadRow_FirstAndLastRow_ReturnTheStoredValues()
    {
        using var directory = new TemporaryDirectory();
        var rows = OpenFirstShard(directory.Path);
        var (first, last) = (new float[4], new float[4]);

        rows.ReadRow<float>(first, 0);
        rows.ReadRow<float>(last, 9);

        Assert.Equal([0f, 1f, 2f, 3f], first);
        Assert.Equal([900f, 901f, 902f, 903f], last);
    }

    [Fact]
    public void ReadRows_AdjacentRows_ReadsThemBackToBackInOneBuffer()
    {
        using var directory = new TemporaryDirectory();
        var rows = OpenFirstShard(directory.Path);
        var bytes = new byte[3 * 16];

        rows.ReadRows(bytes, 7);

        Assert.Equal([700f, 701f, 702f, 703f, 800f, 801f, 802f, 803f, 900f, 901f, 902f, 903f], MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    [Fact]
    public void ReadRows_DestinationNotWholeRows_IsRefused()
    {
        using var directory = new TemporaryDirectory();
        var rows = OpenFirstShard(directory.Path);

        var error = Assert.Throws<ArgumentException>(() => rows.ReadRows(new byte[20], 0));

        Assert.StartsWith("Invalid destination: 20 bytes are not whole rows of 16 bytes", error.Message);
    }

    private static NpyRows OpenFirstShard(string directory)
    {
        string path = ShardedSamplesTests.WriteNumberedShards(directory);
        return NpyRows.Open(Path.Combine(path, "shard-00000.features.npy"), NpyDType.Float32, [10, 4]);
    }
}
