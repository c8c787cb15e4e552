using DistributedTrainer.Client.Local;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Client.Local;

public sealed class LocalJobOutputsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-local-outputs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task CopyAsync_JobDirectory_CopiesReportsTensorBoardAndCheckpointsLikeTrain()
    {
        string job = LocalJobOutputs.JobDirectory(Path.Combine(_directory, "state"), "j-1");
        Directory.CreateDirectory(Path.Combine(job, "checkpoints", "step-000000013"));
        Directory.CreateDirectory(Path.Combine(job, "tensorboard"));
        File.WriteAllText(Path.Combine(job, "metrics.csv"), "epoch,step\n1,13\n");
        File.WriteAllText(Path.Combine(job, "curves.svg"), "<svg/>");
        File.WriteAllText(Path.Combine(job, "job.json"), "{}");
        File.WriteAllText(Path.Combine(job, "tensorboard", "events.out.tfevents.1"), "events");
        File.WriteAllText(Path.Combine(job, "checkpoints", "step-000000013", "model.safetensors"), "weights");
        string output = Path.Combine(_directory, "out");

        await LocalJobOutputs.CopyAsync(job, output);

        Assert.Equal("epoch,step\n1,13\n", File.ReadAllText(Path.Combine(output, "metrics.csv")));
        Assert.Equal("<svg/>", File.ReadAllText(Path.Combine(output, "curves.svg")));
        Assert.Equal("events", File.ReadAllText(Path.Combine(output, "tensorboard", "events.out.tfevents.1")));
        Assert.Equal("weights", File.ReadAllText(Path.Combine(output, "checkpoints", "step-000000013", "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(output, "job.json")), "the coordinator's own state stays in state/");
        Assert.True(File.Exists(Path.Combine(job, "metrics.csv")), "copied, not moved");
    }

    [Fact]
    public async Task CopyAsync_JobThatNeverRan_CopiesNothingAndDoesNotThrow()
    {
        string output = Path.Combine(_directory, "out");
        Directory.CreateDirectory(output);

        await LocalJobOutputs.CopyAsync(Path.Combine(_directory, "state", "jobs", "j-9"), output);

        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void Summary_SucceededJob_MapsTheResultAndPointsAtTheCopiedCheckpoint()
    {
        var job = new Job
        {
            JobId = "j-1",
            State = JobState.Succeeded,
            LastCheckpoint = "step-000000013",
            Result = new JobResult { TestAccuracy = 0.9, TestLoss = 0.3, Epochs = 2, Steps = 13, TrainSamplesPerSecond = 1000, WallSeconds = 4.5, StoppedEarly = true },
        };

        var summary = LocalJobOutputs.Summary(job, "/out");

        Assert.Equal(new DistributedTrainer.Training.TrainingSummary(2, 13, 0.9, 0.3, 1000, 4.5, true, Path.Combine("/out", "checkpoints", "step-000000013")), summary);
    }
}
