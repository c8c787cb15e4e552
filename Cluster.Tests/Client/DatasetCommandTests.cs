using DistributedTrainer.Client.Commands;
using DistributedTrainer.Data.Shards;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Tests.Data.Shards;
using Xunit;

namespace DistributedTrainer.Tests.Client;

public sealed class DatasetCommandTests
{
    private static (int ExitCode, string Stdout, string Stderr) Convert(ConvertArguments arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = DatasetCommand.Convert(arguments, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static (int ExitCode, string Stdout, string Stderr) Inspect(string directory, int preview = 2)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = DatasetCommand.Inspect(directory, preview, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Convert_Idx_WritesShardsAndSaysHowMany()
    {
        using var directory = new TemporaryDirectory();
        var idx = ShardTestData.WriteIdx(directory.Path);
        string output = directory.File("shards");

        var result = Convert(new ConvertArguments(idx.TrainPath, "IDX", output, 16, idx.TrainLabelsPath, 0, false));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal($"Wrote 40 samples in 3 shard(s) to {output}", result.Stdout.Trim());
        Assert.Equal(3, ShardIndex.Read(output).Shards.Count);
    }

    [Fact]
    public void Convert_IdxWithoutLabels_NamesTheOption()
    {
        using var directory = new TemporaryDirectory();

        var result = Convert(new ConvertArguments(directory.File("x"), "IDX", directory.File("out"), 16, null, 0, false));

        Assert.Equal((2, "trainctl dataset convert: --labels: required for IDX (the labels file)"), (result.ExitCode, result.Stderr.Trim()));
    }

    [Fact]
    public void Convert_UnknownFormat_NamesTheOption()
    {
        using var directory = new TemporaryDirectory();

        var result = Convert(new ConvertArguments(directory.File("x"), "PARQUET", directory.File("out"), 16, null, 0, false));

        Assert.Equal((2, "trainctl dataset convert: --format: must be IDX or CSV, got PARQUET"), (result.ExitCode, result.Stderr.Trim()));
    }

    [Fact]
    public void Convert_MissingInput_ExitsWith2AndWritesNothing()
    {
        using var directory = new TemporaryDirectory();

        var result = Convert(new ConvertArguments(directory.File("missing.csv"), "CSV", directory.File("out"), 16, null, 0, true));

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public void Inspect_ConvertedIdx_ShowsCountsShapesChecksumsAndAPreview()
    {
        using var directory = new TemporaryDirectory();
        var shards = ShardTestData.ConvertToShards(ShardTestData.WriteIdx(directory.Path), directory.Path, shardSize: 32);

        var result = Inspect(shards.TrainPath);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("Samples:  40 in 2 shard(s)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Features: uint8 (4, 4), 16 per sample", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Targets:  class_ids uint8 (), 3 classes", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Checksums: all 4 files match index.json", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("  sample 1: class 1; features [", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_AlteredShard_ReportsTheMismatchAndExitsWith2()
    {
        using var directory = new TemporaryDirectory();
        var shards = ShardTestData.ConvertToShards(ShardTestData.WriteIdx(directory.Path), directory.Path, shardSize: 32);
        string file = Path.Combine(shards.TrainPath, "shard-00001.features.npy");
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        var result = Inspect(shards.TrainPath);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("shard-00001.features.npy MISMATCH", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("Checksums: 1 of 4 files do NOT match index.json", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_NotAShardDirectory_ExitsWith2()
    {
        using var directory = new TemporaryDirectory();

        var result = Inspect(directory.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"trainctl dataset inspect: {directory.File("index.json")}: no index.json", result.Stderr, StringComparison.Ordinal);
    }
}
