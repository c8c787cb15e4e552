using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class CoordinatorLogsTests
{
    [Fact]
    public async Task Logs_AJobRun_HoldNoLinesOfOrleansOrItsPlacementPipeline()
    {
        var logs = new CapturedLogs();
        await using (var coordinator = await TestCoordinator.StartAsync(token: null, logs.Provider()))
        {
            string jobId = await coordinator.SubmitAsync(TestJobs.Spec(coordinator.Directory, epochs: 1));
            await coordinator.WatchToEndAsync(jobId);
        }

        // Captured at every level, so only the filters keep these out: below warnings, Orleans and the Polly pipeline that
        // places its grains (an "Execution attempt" line per placement) would bury the coordinator's own lines.
        Assert.Contains(logs.Lines, line => line.StartsWith("DistributedTrainer.Coordinator", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.StartsWith("Polly", StringComparison.Ordinal));
    }
}
