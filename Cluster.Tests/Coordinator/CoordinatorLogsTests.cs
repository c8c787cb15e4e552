using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class CoordinatorLogsTests
{
    [Fact]
    public async Task Logs_AJobRun_HoldNoLinesOfThePipelineOrleansPlacesGrainsThrough()
    {
        var logs = new CapturedLogs();
        await using (var coordinator = await TestCoordinator.StartAsync(token: null, logs.Provider()))
        {
            string jobId = await coordinator.SubmitAsync(TestJobs.Spec(coordinator.Directory, epochs: 1));
            await coordinator.WatchToEndAsync(jobId);
        }

        // Captured at every level, so only the filter keeps them out: below warnings, the Polly pipeline that Orleans
        // places grains through logs two lines per placement ("Execution attempt", "Resilience pipeline executed").
        Assert.Contains(logs.Lines, line => line.StartsWith("DistributedTrainer.Coordinator", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.StartsWith("Polly", StringComparison.Ordinal));
    }
}
