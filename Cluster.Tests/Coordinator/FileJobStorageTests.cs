using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Protos.V1;
using Orleans.Core;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class FileJobStorageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-storage-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ReadAsync_AfterWrite_SameJob()
    {
        var storage = new FileJobStorage(new CoordinatorPaths(_directory));
        var job = new Job
        {
            JobId = "j-0123456789ab",
            Spec = new JobSpec { Name = "n", Epochs = 3 },
            State = JobState.Running,
            Epochs = { new EpochMetrics { Epoch = 1, ValidationLoss = double.NaN } },
        };

        await storage.WriteStateAsync(JobGrainsSilo.StorageName, GrainOf(job.JobId), new GrainState<Job>(job));

        Assert.Equal(job, await storage.ReadAsync(job.JobId));
    }

    [Fact]
    public async Task ReadAsync_NeverWritten_Null()
    {
        var storage = new FileJobStorage(new CoordinatorPaths(_directory));

        Assert.Null(await storage.ReadAsync("j-0123456789ab"));
    }

    [Fact]
    public async Task ReadStateAsync_AfterWrite_RecordExistsWithTheSameJob()
    {
        var storage = new FileJobStorage(new CoordinatorPaths(_directory));
        var job = new Job { JobId = "j-0123456789ab", State = JobState.Queued };
        await storage.WriteStateAsync(JobGrainsSilo.StorageName, GrainOf(job.JobId), new GrainState<Job>(job));
        var read = new GrainState<Job>();

        await storage.ReadStateAsync(JobGrainsSilo.StorageName, GrainOf(job.JobId), read);

        Assert.Equal((true, job), (read.RecordExists, read.State));
    }

    [Fact]
    public async Task ListJobIds_TwoJobsAndAStrayDirectory_TheTwoJobs()
    {
        var paths = new CoordinatorPaths(_directory);
        var storage = new FileJobStorage(paths);
        await storage.WriteStateAsync(JobGrainsSilo.StorageName, GrainOf("j-000000000001"), new GrainState<Job>(new Job { JobId = "j-000000000001" }));
        await storage.WriteStateAsync(JobGrainsSilo.StorageName, GrainOf("j-000000000002"), new GrainState<Job>(new Job { JobId = "j-000000000002" }));
        Directory.CreateDirectory(Path.Combine(paths.JobsDirectory, "stray"));

        var keys = storage.ListJobIds();

        Assert.Equal(["j-000000000001", "j-000000000002"], keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReadAsync_MalformedFile_InvalidDataNamingThePath()
    {
        var paths = new CoordinatorPaths(_directory);
        Directory.CreateDirectory(paths.JobDirectory("j-0123456789ab"));
        await File.WriteAllTextAsync(paths.JobFile("j-0123456789ab"), "{ not json");

        var failure = await Assert.ThrowsAsync<InvalidDataException>(() => new FileJobStorage(paths).ReadAsync("j-0123456789ab"));

        Assert.Contains(paths.JobFile("j-0123456789ab"), failure.Message, StringComparison.Ordinal);
    }

    private static GrainId GrainOf(string jobId) => GrainId.Create("job", jobId);
}
