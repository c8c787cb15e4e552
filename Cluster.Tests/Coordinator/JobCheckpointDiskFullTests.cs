using DistributedTrainer.Checkpoints;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Checkpoints;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// A job whose checkpoint directory is a disk that fills up: a 2.5 MiB tmpfs holds the first epoch's checkpoint
/// (about 1.7 MB: a 20,000-unit layer with Adam's state) but not the second. The job fails naming the checkpoint it
/// could not write, and the first checkpoint stays loadable.
/// </summary>
public sealed class JobCheckpointDiskFullTests : IAsyncLifetime
{
    private const string JobId = "j-0123456789ef";
    private const long DiskBytes = 2560 * 1024;
    private const int Units = 20_000;

    // 200 rows in batches of 16: 13 steps an epoch.
    private const string FirstCheckpoint = "step-000000013";
    private const string SecondCheckpoint = "step-000000026";

    private JobGrainsHost _host = null!;
    private TmpfsMount _disk = null!;

    private string Checkpoints => Path.Combine(_host.Directory, "state", "jobs", JobId, "checkpoints");

    public async Task InitializeAsync()
    {
        _host = await JobGrainsHost.StartAsync(new FakeClusterBackends().Local);
        // Every fact here is a TmpfsFact: xUnit builds the class only where a tmpfs can be mounted.
        _disk = TmpfsMount.Mount(Checkpoints, DiskBytes);
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _disk.Dispose();
        await _host.DisposeAsync();
    }

    [TmpfsFact]
    public async Task Run_CheckpointDiskFull_FailsNamingTheCheckpoint()
    {
        var job = await RunToEndAsync();

        Assert.Equal(JobState.Failed, job.State);
        Assert.StartsWith($"Could not write checkpoint {Path.Combine(Checkpoints, SecondCheckpoint)}: ", job.Message);
    }

    [TmpfsFact]
    public async Task Run_CheckpointDiskFull_PreviousCheckpointStillLoads()
    {
        await RunToEndAsync();

        var latest = new CheckpointStore(Checkpoints).LoadLatest();

        Assert.Equal((FirstCheckpoint, 0), (Path.GetFileName(latest.Directory), latest.Skipped.Count));
    }

    private async Task<Job> RunToEndAsync()
    {
        var grain = _host.Grain(JobId);
        await grain.Submit(TestJobs.Spec(_host.Directory, epochs: 3, units: Units));
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (var _ in grain.Watch(limit.Token))
        {
        }
        return (await grain.Get())!;
    }
}
