using DistributedTrainer.Checkpoints;
using DistributedTrainer.Tests.Data;
using Xunit;

namespace DistributedTrainer.Tests.Checkpoints;

/// <summary>
/// <see cref="CheckpointStore.Save"/> on a disk that fills up (a 1 MiB tmpfs): a small checkpoint fits, a 2 MiB one
/// does not. The failed save names the checkpoint, leaves the previous one loadable and leaves nothing behind.
/// </summary>
public sealed class CheckpointStoreDiskFullTests : IDisposable
{
    private const long DiskBytes = 1 << 20;

    private readonly TemporaryDirectory _directory = new();
    private readonly TmpfsMount _disk;
    private readonly CheckpointStore _store;

    public CheckpointStoreDiskFullTests()
    {
        string path = Path.Combine(_directory.Path, "disk");
        // Every fact here is a TmpfsFact: xUnit builds the class only where a tmpfs can be mounted.
        _disk = TmpfsMount.Mount(path, DiskBytes);
        _store = new CheckpointStore(path);
        _store.Save(Make(1, floats: 16));
    }

    public void Dispose()
    {
        _disk.Dispose();
        _directory.Dispose();
    }

    private static Checkpoint Make(long step, int floats) => new(
        new CheckpointManifest { JobSpecJson = "{}", Step = step, Epoch = 0, DataCursor = 0, Seed = 7, OptimizerKind = "SGD", OptimizerStepCount = step },
        [new NamedTensor("fc.weight", [floats], [.. Enumerable.Range(0, floats).Select(i => (float)i)])],
        []);

    [TmpfsFact]
    public void Save_DiskFull_IOExceptionNamingTheCheckpoint()
    {
        var error = Assert.Throws<IOException>(() => _store.Save(Make(2, floats: 512 * 1024)));

        Assert.StartsWith($"Could not write checkpoint {Path.Combine(_store.Directory, "step-000000002")}: ", error.Message);
    }

    [TmpfsFact]
    public void Save_DiskFull_PreviousCheckpointStillLoads()
    {
        Assert.Throws<IOException>(() => _store.Save(Make(2, floats: 512 * 1024)));

        var latest = _store.LoadLatest();

        Assert.Equal((1L, 0), (latest.Checkpoint?.Manifest.Step, latest.Skipped.Count));
    }

    [TmpfsFact]
    public void Save_DiskFull_LeavesOnlyThePreviousCheckpoint()
    {
        Assert.Throws<IOException>(() => _store.Save(Make(2, floats: 512 * 1024)));

        Assert.Equal(["step-000000001"], Directory.EnumerateFileSystemEntries(_store.Directory).Select(Path.GetFileName));
    }
}
