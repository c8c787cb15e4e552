using DistributedTrainer.Data.Shards;
using Xunit;

namespace DistributedTrainer.Tests.Data.Shards;

public sealed class ShardIndexTests
{
    private const string Sha = "0000000000000000000000000000000000000000000000000000000000000000";

    private static string Index(string shards = $$"""[{"samples": 2, "features": "a.npy", "targets": "b.npy", "features_sha256": "{{Sha}}", "targets_sha256": "{{Sha}}"}]""",
        string targets = """{"kind": "class_ids", "dtype": "int64", "shape": [], "num_classes": 3}""") => $$"""
        {"format": "distributed-trainer-shards", "version": 1,
         "features": {"dtype": "float32", "shape": [4, 2]},
         "targets": {{targets}},
         "shards": {{shards}}}
        """;

    private static ShardIndex Read(TemporaryDirectory directory, string json)
    {
        File.WriteAllText(directory.File("index.json"), json);
        return ShardIndex.Read(directory.Path);
    }

    [Fact]
    public void Read_ValidIndex_GivesCountsShapesAndTypes()
    {
        using var directory = new TemporaryDirectory();

        var index = Read(directory, Index());

        Assert.Equal((2L, 8, NpyDType.Float32, NpyDType.Int64, 3), (index.SampleCount, index.FeatureCount, index.FeatureType, index.TargetType, index.ClassCount));
    }

    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        using var directory = new TemporaryDirectory();
        var written = new ShardIndex(NpyDType.UInt8, [28, 28], DistributedTrainer.Data.TargetKind.MultiHot, NpyDType.UInt8, [5], 5,
            [new ShardEntry("f.npy", "t.npy", 9, Sha, Sha)]);

        written.Write(directory.Path);
        var read = ShardIndex.Read(directory.Path);

        Assert.Equal(written.FeatureShape.Concat(written.TargetShape), read.FeatureShape.Concat(read.TargetShape));
        Assert.Equal(written.Shards[0], read.Shards[0]);
    }

    [Theory]
    [InlineData("../secret.npy")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("index.json")]
    public void Read_ShardFileThatIsNotAPlainName_NamesTheField(string name)
    {
        using var directory = new TemporaryDirectory();
        string shards = $$"""[{"samples": 2, "features": "{{name}}", "targets": "b.npy", "features_sha256": "{{Sha}}", "targets_sha256": "{{Sha}}"}]""";

        var error = Assert.Throws<InvalidDataException>(() => Read(directory, Index(shards)));

        Assert.Equal("index.json: shards[0].features: must be the name of a .npy file in the shard directory (no path)", error.Message);
    }

    [Fact]
    public void Read_UnknownDtype_NamesTheFieldWithoutQuotingIt()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<InvalidDataException>(() =>
            Read(directory, Index(targets: """{"kind": "real", "dtype": "float16-secret", "shape": [1]}""")));

        Assert.Equal("index.json: targets.dtype: must be one of uint8, float32, int32, int64", error.Message);
    }

    [Fact]
    public void Read_FloatClassIds_AreRefused()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<InvalidDataException>(() =>
            Read(directory, Index(targets: """{"kind": "class_ids", "dtype": "float32", "shape": []}""")));

        Assert.StartsWith("index.json: targets.dtype: must be an integer type", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MultiHotWithoutAVectorShape_NamesTheShape()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<InvalidDataException>(() =>
            Read(directory, Index(targets: """{"kind": "multi_hot", "dtype": "uint8", "shape": []}""")));

        Assert.Equal("index.json: targets.shape: must be [C] for multi_hot (C classes)", error.Message);
    }

    [Fact]
    public void Read_NotJson_GivesTheLineOnly()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<InvalidDataException>(() => Read(directory, "{\n secret-token"));

        Assert.Equal("index.json: not valid JSON (line 2)", error.Message);
    }

    [Fact]
    public void Read_NoShards_IsRefused()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<InvalidDataException>(() => Read(directory, Index("[]")));

        Assert.Equal("index.json: shards: must be a non-empty array", error.Message);
    }
}
