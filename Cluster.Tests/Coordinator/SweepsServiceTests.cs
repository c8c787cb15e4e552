using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;
using SweepsRpc = DistributedTrainer.Protos.V1.Sweeps;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class SweepsServiceTests
{
    [Fact]
    public async Task SubmitSweep_Asha_RunsEveryTrialOnceAsAJob()
    {
        await using var cluster = new InProcessCluster();
        var coordinator = await cluster.StartCoordinatorAsync();
        var spec = TestSweeps.Asha(cluster.Directory, trials: 6, concurrent: 2);

        string sweepId = await TestSweeps.SubmitAsync(coordinator.Address, spec);
        await TestSweeps.WatchToEndAsync(coordinator.Address, sweepId);
        var sweep = await TestSweeps.GetAsync(coordinator.Address, sweepId);
        using var channel = GrpcChannels.Create(coordinator.Address);
        var jobs = await new JobsRpc.JobsClient(channel).ListJobsAsync(new ListJobsRequest(), TestSweeps.Deadline());

        Assert.Equal(SweepState.SweepSucceeded, sweep.State);
        Assert.Equal([0, 1, 2, 3, 4, 5], sweep.Trials.Select(trial => trial.Number));
        Assert.Equal(sweep.Trials.Select(trial => trial.JobId).Order(), jobs.Jobs.Select(job => job.JobId).Order());
        Assert.All(sweep.Trials, trial => Assert.True(trial.State is TrialState.TrialSucceeded or TrialState.TrialStopped, $"trial {trial.Number}: {trial.State} {trial.Message}"));
    }

    [Fact]
    public async Task SubmitSweep_Asha_StopsTrialsWithTheReason()
    {
        await using var cluster = new InProcessCluster();
        var coordinator = await cluster.StartCoordinatorAsync();
        var spec = TestSweeps.Asha(cluster.Directory, trials: 8, concurrent: 1);

        string sweepId = await TestSweeps.SubmitAsync(coordinator.Address, spec);
        var events = await TestSweeps.WatchToEndAsync(coordinator.Address, sweepId);
        var sweep = await TestSweeps.GetAsync(coordinator.Address, sweepId);

        var stopped = sweep.Trials.Where(trial => trial.State == TrialState.TrialStopped).ToList();
        Assert.NotEmpty(stopped);
        Assert.All(stopped, trial => Assert.Matches(@"^stopped by ASHA at epoch \d+: rung \d+ cut-off [0-9.]+, trial [0-9.]+$", trial.Message));
        Assert.All(stopped, trial => Assert.True(trial.EpochsRun < 9, $"trial {trial.Number} ran {trial.EpochsRun} epochs"));
        Assert.Contains(events, sweepEvent => sweepEvent.Message.StartsWith($"Trial {stopped[0].Number} stopped by ASHA", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SubmitSweep_SameSeedTwice_SameTrials()
    {
        await using var cluster = new InProcessCluster();
        var coordinator = await cluster.StartCoordinatorAsync();
        var spec = TestSweeps.Asha(cluster.Directory, trials: 3, concurrent: 1, epochs: 1);

        string first = await TestSweeps.SubmitAsync(coordinator.Address, spec);
        string second = await TestSweeps.SubmitAsync(coordinator.Address, spec);
        await TestSweeps.WatchToEndAsync(coordinator.Address, first);
        await TestSweeps.WatchToEndAsync(coordinator.Address, second);

        Assert.Equal(Points(await TestSweeps.GetAsync(coordinator.Address, first)), Points(await TestSweeps.GetAsync(coordinator.Address, second)));
    }

    [Fact]
    public async Task SubmitSweep_UnknownPath_InvalidArgumentNamingTheField()
    {
        await using var cluster = new InProcessCluster();
        var coordinator = await cluster.StartCoordinatorAsync();
        var spec = TestSweeps.Asha(cluster.Directory, trials: 3, concurrent: 1);
        spec.Parameters[0].Path = "optimizer.learning_rte";

        var error = await Assert.ThrowsAsync<RpcException>(() => TestSweeps.SubmitAsync(coordinator.Address, spec));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("parameters[0].path: unknown field \"learning_rte\"", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelSweep_Running_EndsCancelledWithNoTrialRunning()
    {
        await using var cluster = new InProcessCluster();
        var coordinator = await cluster.StartCoordinatorAsync();
        var spec = TestSweeps.Asha(cluster.Directory, trials: 6, concurrent: 1, epochs: 30, trainRows: 2000);
        string sweepId = await TestSweeps.SubmitAsync(coordinator.Address, spec);
        using var channel = GrpcChannels.Create(coordinator.Address);

        await new SweepsRpc.SweepsClient(channel).CancelSweepAsync(new CancelSweepRequest { SweepId = sweepId }, TestSweeps.Deadline());
        await TestSweeps.WatchToEndAsync(coordinator.Address, sweepId);
        var sweep = await TestSweeps.GetAsync(coordinator.Address, sweepId);

        Assert.Equal(SweepState.SweepCancelled, sweep.State);
        Assert.DoesNotContain(sweep.Trials, trial => trial.State == TrialState.TrialRunning);
    }

    [Fact]
    public async Task SubmitSweep_MoreFailuresThanAllowed_EndsFailedWithoutStartingMore()
    {
        await using var cluster = new InProcessCluster();
        var coordinator = await cluster.StartCoordinatorAsync();
        var spec = TestSweeps.Asha(cluster.Directory, trials: 6, concurrent: 1, epochs: 1);
        // Three outputs for two classes: valid without the data's shape, refused by the job once it loads the data.
        spec.Parameters[1] = new ParameterSpec { Path = "model.layers[2].dense.units", Choice = DistributedTrainer.Tests.Sweeps.SweepSpecs.Values(3) };
        spec.MaxFailedTrials = 1;

        string sweepId = await TestSweeps.SubmitAsync(coordinator.Address, spec);
        await TestSweeps.WatchToEndAsync(coordinator.Address, sweepId);
        var sweep = await TestSweeps.GetAsync(coordinator.Address, sweepId);

        Assert.Equal(SweepState.SweepFailed, sweep.State);
        Assert.Equal([TrialState.TrialFailed, TrialState.TrialFailed], sweep.Trials.Select(trial => trial.State));
        Assert.StartsWith("2 trials failed, more than max_failed_trials 1.", sweep.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSweep_UnknownId_NotFound()
    {
        await using var cluster = new InProcessCluster();
        var coordinator = await cluster.StartCoordinatorAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => TestSweeps.GetAsync(coordinator.Address, "s-000000000000"));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private static List<string> Points(Sweep sweep) =>
        [.. sweep.Trials.Select(trial => string.Join(",", trial.Parameters.Select(parameter => parameter.Value.ToString())))];
}
