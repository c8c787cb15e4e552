using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

/// <summary>A coordinator job leaves TensorBoard events in state/jobs/&lt;id&gt;/tensorboard.</summary>
public sealed class TensorBoardJobSchedulerTests : IAsyncLifetime
{
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync();

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [PythonProtobufFact]
    public async Task RunJob_FinishedJob_WritesEpochScalarsOfEveryEpoch()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 2));
        Assert.Equal(JobState.Succeeded, TestCoordinator.FinalState(await _coordinator.WatchToEndAsync(jobId)));

        string eventFile = Assert.Single(Directory.GetFiles(
            Path.Combine(_coordinator.Directory, "state", "jobs", jobId, "tensorboard"), "events.out.tfevents.*"));
        var scalars = EventFileReader.Read(eventFile).Scalars;

        Assert.Equal([13L, 26L], scalars.Where(point => point.Tag == "epoch/test_accuracy").Select(point => point.Step));
    }
}
