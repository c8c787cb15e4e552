using DistributedTrainer.Checkpoints;
using DistributedTrainer.Tests.Data;
using Xunit;

namespace DistributedTrainer.Tests.Checkpoints;

public sealed class CheckpointStoreTests
{
    private static Checkpoint Make(long step, float value = 1.5f) => new(
        new CheckpointManifest
        {
            JobSpecJson = """{"name":"mlp","seed":"7"}""",
            Step = step,
            Epoch = 2,
            DataCursor = 768,
            Seed = ulong.MaxValue,
            OptimizerKind = "ADAM",
            OptimizerStepCount = step,
            ScheduleState = [0.5, 3],
            EarlyStopping = new EarlyStoppingState(double.PositiveInfinity, -1, 0, 0),
            Metrics = new Dictionary<string, double> { ["train_loss"] = 0.25, ["validation_loss"] = double.NaN },
        },
        [new NamedTensor("fc1.weight", [2, 2], [value, -0f, 1e-40f, float.MaxValue]), new NamedTensor("fc1.bias", [2], [0f, 2f])],
        [new NamedTensor("exp_avg.fc1.weight", [2, 2], [1f, 2f, 3f, 4f]), new NamedTensor("exp_avg.fc1.bias", [2], [5f, 6f])]);

    private static string Bits(IEnumerable<NamedTensor> tensors) => string.Join(" | ", tensors.Select(tensor =>
        $"{tensor.Name} [{string.Join(",", tensor.Shape)}] {string.Join(",", tensor.Data.Select(BitConverter.SingleToInt32Bits))}"));

    private static string[] Names(string directory) => [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order()!];

    private static void FlipByte(string path, int fromEnd)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[^fromEnd] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Save_Any_CreatesPaddedStepDirectory()
    {
        using var directory = new TemporaryDirectory();

        string saved = new CheckpointStore(directory.Path).Save(Make(123));

        Assert.Equal(Path.Combine(directory.Path, "step-000000123"), saved);
    }

    [Fact]
    public void Save_Any_WritesThreeFiles()
    {
        using var directory = new TemporaryDirectory();

        string saved = new CheckpointStore(directory.Path).Save(Make(1));

        Assert.Equal(["manifest.json", "model.safetensors", "optimizer.safetensors"], Names(saved));
    }

    [Fact]
    public void Load_AfterSave_ModelIsBitwiseIdentical()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        var original = Make(5);

        var loaded = store.Load(store.Save(original));

        Assert.Equal(Bits(original.Model), Bits(loaded.Model));
    }

    [Fact]
    public void Load_AfterSave_OptimizerIsBitwiseIdentical()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        var original = Make(5);

        var loaded = store.Load(store.Save(original));

        Assert.Equal(Bits(original.Optimizer), Bits(loaded.Optimizer));
    }

    [Fact]
    public void Load_AfterSave_ManifestRoundTrips()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        var original = Make(5).Manifest;

        var loaded = store.Load(store.Save(Make(5))).Manifest;

        Assert.Equal(
            (original.JobSpecJson, original.Step, original.Epoch, original.DataCursor, original.Seed, original.OptimizerKind,
                original.OptimizerStepCount, string.Join(",", original.ScheduleState), original.EarlyStopping,
                string.Join(",", original.Metrics.OrderBy(entry => entry.Key))),
            (loaded.JobSpecJson, loaded.Step, loaded.Epoch, loaded.DataCursor, loaded.Seed, loaded.OptimizerKind,
                loaded.OptimizerStepCount, string.Join(",", loaded.ScheduleState), loaded.EarlyStopping,
                string.Join(",", loaded.Metrics.OrderBy(entry => entry.Key))));
    }

    [Fact]
    public void Save_Any_RecordsSha256OfEachFile()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        string saved = store.Save(Make(5));

        var entry = store.Load(saved).Manifest.Files[CheckpointStore.ModelFile];

        string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(saved, CheckpointStore.ModelFile))));
        Assert.Equal(actual, entry.Sha256);
    }

    [Fact]
    public void Load_CorruptByte_ThrowsChecksumMismatchNamingFile()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        string saved = store.Save(Make(5));
        string model = Path.Combine(saved, CheckpointStore.ModelFile);
        FlipByte(model, fromEnd: 3);

        var error = Assert.Throws<InvalidDataException>(() => store.Load(saved));

        Assert.StartsWith($"{model}: checksum mismatch", error.Message);
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsTruncatedWithSizes()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        string saved = store.Save(Make(5));
        string optimizer = Path.Combine(saved, CheckpointStore.OptimizerFile);
        long length = new FileInfo(optimizer).Length;
        using (var file = File.OpenWrite(optimizer))
        {
            file.SetLength(length - 10);
        }

        var error = Assert.Throws<InvalidDataException>(() => store.Load(saved));

        Assert.Equal($"{optimizer}: truncated: {length - 10} bytes, manifest says {length}", error.Message);
    }

    [Fact]
    public void Load_MissingManifest_ThrowsNamingIt()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        string saved = store.Save(Make(5));
        string manifest = Path.Combine(saved, CheckpointStore.ManifestFile);
        File.Delete(manifest);

        var error = Assert.Throws<InvalidDataException>(() => store.Load(saved));

        Assert.Equal($"{manifest}: missing", error.Message);
    }

    [Fact]
    public void Load_MalformedManifest_ThrowsNotAValidManifest()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        string saved = store.Save(Make(5));
        string manifest = Path.Combine(saved, CheckpointStore.ManifestFile);
        File.WriteAllText(manifest, """{"step": 5}""");

        var error = Assert.Throws<InvalidDataException>(() => store.Load(saved));

        Assert.StartsWith($"{manifest}: not a valid manifest", error.Message);
    }

    [Fact]
    public void Save_BeyondKeep_DeletesOldest()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path, keep: 2);

        foreach (long step in new long[] { 10, 20, 30, 40 })
        {
            store.Save(Make(step));
        }

        Assert.Equal(["step-000000030", "step-000000040"], Names(directory.Path));
    }

    [Fact]
    public void Save_SameStepTwice_ReplacesIt()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        store.Save(Make(10, value: 1f));

        string saved = store.Save(Make(10, value: 2f));

        Assert.Equal(2f, store.Load(saved).Model[0].Data[0]);
    }

    [Fact]
    public void Save_EarlierStepAfterResume_DeletesLaterSteps()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path, keep: 5);
        store.Save(Make(10));
        store.Save(Make(30));

        store.Save(Make(20));

        Assert.Equal(["step-000000010", "step-000000020"], Names(directory.Path));
    }

    [Fact]
    public void Save_NaNInModel_RefusesAndWritesNothing()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        var checkpoint = Make(5) with { Model = [new NamedTensor("fc1.weight", [3], [1f, float.NaN, 2f])] };

        var error = Assert.Throws<InvalidDataException>(() => store.Save(checkpoint));

        Assert.Equal("Refusing to save a checkpoint: model.safetensors tensor 'fc1.weight' holds NaN at element 1", error.Message);
    }

    [Fact]
    public void Save_InfinityInOptimizer_LeavesNoDirectory()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        var checkpoint = Make(5) with { Optimizer = [new NamedTensor("exp_avg.w", [1], [float.PositiveInfinity])] };

        Assert.Throws<InvalidDataException>(() => store.Save(checkpoint));

        Assert.Empty(Names(directory.Path));
    }

    [Fact]
    public void Save_FailingMidway_LeavesNoPartialDirectory()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        // The model file is written before the optimizer's shape error is found.
        var checkpoint = Make(5) with { Optimizer = [new NamedTensor("exp_avg.w", [2], [1f])] };

        Assert.Throws<ArgumentException>(() => store.Save(checkpoint));

        Assert.Empty(Names(directory.Path));
    }

    [Fact]
    public void LoadLatest_LeftoverTemporaryDirectory_IsIgnored()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        store.Save(Make(10));
        Directory.CreateDirectory(Path.Combine(directory.Path, ".tmp-step-000000020-0123456789abcdef"));

        var latest = store.LoadLatest();

        Assert.Equal((10L, 0), (latest.Checkpoint!.Manifest.Step, latest.Skipped.Count));
    }

    [Fact]
    public void Save_LeftoverTemporaryDirectory_IsRemoved()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        Directory.CreateDirectory(Path.Combine(directory.Path, ".tmp-step-000000020-0123456789abcdef"));

        store.Save(Make(10));

        Assert.Equal(["step-000000010"], Names(directory.Path));
    }

    [Fact]
    public void LoadLatest_DamagedNewest_ReturnsPreviousAndReportsSkipped()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        store.Save(Make(10));
        string newest = store.Save(Make(20));
        FlipByte(Path.Combine(newest, CheckpointStore.ModelFile), fromEnd: 1);

        var latest = store.LoadLatest();

        Assert.Equal(10L, latest.Checkpoint!.Manifest.Step);
    }

    [Fact]
    public void LoadLatest_DamagedNewest_SkippedNamesDirectoryAndReason()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        store.Save(Make(10));
        string newest = store.Save(Make(20));
        FlipByte(Path.Combine(newest, CheckpointStore.ModelFile), fromEnd: 1);

        var skipped = Assert.Single(store.LoadLatest().Skipped);

        Assert.Equal((newest, true), (skipped.Directory, skipped.Reason.Contains("checksum mismatch", StringComparison.Ordinal)));
    }

    [Fact]
    public void LoadLatest_EmptyStore_ReturnsNothing()
    {
        using var directory = new TemporaryDirectory();

        var latest = new CheckpointStore(Path.Combine(directory.Path, "absent")).LoadLatest();

        Assert.Equal((null, null, 0), (latest.Checkpoint, latest.Directory, latest.Skipped.Count));
    }

    [Fact]
    public void List_SeveralCheckpoints_NewestFirst()
    {
        using var directory = new TemporaryDirectory();
        var store = new CheckpointStore(directory.Path);
        store.Save(Make(9));
        store.Save(Make(100));

        Assert.Equal(["step-000000100", "step-000000009"], store.List().Select(Path.GetFileName));
    }

    [Fact]
    public void Constructor_KeepZero_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new CheckpointStore("/tmp/x", keep: 0));

        Assert.StartsWith("Invalid keep: 0 (must be >= 1)", error.Message);
    }
}
