using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;
using SweepsRpc = DistributedTrainer.Protos.V1.Sweeps;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class SweepRestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-sweep-restart-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Restart_KilledMidSweep_ResumesWithoutLosingOrRepeatingATrial()
    {
        string state = Path.Combine(_directory, "state");
        // Trials long enough (about 150 ms an epoch here) that the sweep is still running when the watch, which may lag the
        // sweep by a second on a loaded machine, sees the kill's moment: with 2,000 rows a whole sweep took about a second
        // and was sometimes over before the watch attached or before the kill, so nothing was left to resume.
        var spec = TestSweeps.Asha(_directory, trials: 5, concurrent: 2, epochs: 12, trainRows: 20_000);
        string sweepId;
        int startedBeforeKill;
        var seen = new List<string>();
        using (var first = await CoordinatorProcess.StartAsync(state))
        {
            sweepId = await TestSweeps.SubmitAsync(first.Address, spec);
            using var channel = GrpcChannels.Create(first.Address);
            using var call = new SweepsRpc.SweepsClient(channel).WatchSweep(new WatchSweepRequest { SweepId = sweepId }, TestSweeps.Deadline());
            var started = new HashSet<int>();
            await foreach (var sweepEvent in call.ResponseStream.ReadAllAsync())
            {
                seen.Add(sweepEvent.ToString());
                if (sweepEvent.Trial is { } trial)
                {
                    started.Add(trial.Number);
                    // Two trials started and one of them well into its epochs: kill mid-trial.
                    if (started.Count >= 2 && trial.EpochsRun >= 2 && trial.State == TrialState.TrialRunning)
                    {
                        break;
                    }
                }
            }
            startedBeforeKill = started.Count;
            first.Kill();
        }

        using var second = await CoordinatorProcess.StartAsync(state);
        await TestSweeps.WatchToEndAsync(second.Address, sweepId);
        var sweep = await TestSweeps.GetAsync(second.Address, sweepId);
        using var again = GrpcChannels.Create(second.Address);
        var jobs = await new JobsRpc.JobsClient(again).ListJobsAsync(new ListJobsRequest(), TestSweeps.Deadline());

        Assert.True(startedBeforeKill >= 2, $"{startedBeforeKill} trials started before the kill; events seen: {string.Join(" | ", seen)}; after the restart: {sweep.State} {sweep.Message}");
        Assert.Equal(SweepState.SweepSucceeded, sweep.State);
        Assert.Equal([0, 1, 2, 3, 4], sweep.Trials.Select(trial => trial.Number));
        Assert.Equal(sweep.Trials.Select(trial => trial.JobId).Order(), jobs.Jobs.Select(job => job.JobId).Order());
        Assert.All(sweep.Trials, trial => Assert.True(trial.State is TrialState.TrialSucceeded or TrialState.TrialStopped, $"trial {trial.Number}: {trial.State} {trial.Message}"));
        Assert.Contains("1 unfinished sweeps resumed", second.Stderr, StringComparison.Ordinal);
    }
}
