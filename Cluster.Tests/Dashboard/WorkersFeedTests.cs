using System.Text.Json;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Dashboard;
using DistributedTrainer.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace DistributedTrainer.Tests.Dashboard;

public sealed class WorkersFeedTests
{
    [Fact]
    public void Snapshot_WorkerUnderHalfTheMedianOfItsJob_IsNamedStraggler()
    {
        using var registry = new WorkerRegistry(TimeProvider.System, TimeSpan.FromHours(1), NullLogger.Instance);
        using var rates = new WorkerRates();
        string jobId = $"j-feed-{Guid.NewGuid():N}";
        var workers = Enumerable.Range(1, 3).Select(i => registry.Register(new Uri($"http://127.0.0.1:{9000 + i}"), 1, "")).ToList();
        Assert.NotNull(registry.TryLease(jobId, 3, 3));
        TrainingMetrics.RecordSamplesPerSecond(jobId, workers[0].Id, 100);
        TrainingMetrics.RecordSamplesPerSecond(jobId, workers[1].Id, 90);
        TrainingMetrics.RecordSamplesPerSecond(jobId, workers[2].Id, 20);

        using var table = JsonDocument.Parse(new WorkersFeed(registry, rates).Snapshot());

        var stragglers = table.RootElement.GetProperty("workers").EnumerateArray()
            .Where(row => row.GetProperty("straggler").GetBoolean()).Select(row => row.GetProperty("id").GetString());
        Assert.Equal([workers[2].Id], stragglers);
    }

    [Fact]
    public void Snapshot_LeasedWorker_CarriesItsJobAndRate()
    {
        using var registry = new WorkerRegistry(TimeProvider.System, TimeSpan.FromHours(1), NullLogger.Instance);
        using var rates = new WorkerRates();
        string jobId = $"j-feed-{Guid.NewGuid():N}";
        var worker = registry.Register(new Uri("http://127.0.0.1:9100"), 2, "");
        Assert.NotNull(registry.TryLease(jobId, 1, 1));
        TrainingMetrics.RecordSamplesPerSecond(jobId, worker.Id, 1234.5);

        using var table = JsonDocument.Parse(new WorkersFeed(registry, rates).Snapshot());

        var row = Assert.Single(table.RootElement.GetProperty("workers").EnumerateArray());
        Assert.Equal((jobId, 1234.5), (row.GetProperty("jobId").GetString(), row.GetProperty("samplesPerSecond").GetDouble()));
    }

    [Fact]
    public void Snapshot_LeasedWorker_CarriesTheMedianOfItsRecentComputeTimes()
    {
        using var registry = new WorkerRegistry(TimeProvider.System, TimeSpan.FromHours(1), NullLogger.Instance);
        using var rates = new WorkerRates();
        string jobId = $"j-feed-{Guid.NewGuid():N}";
        var worker = registry.Register(new Uri("http://127.0.0.1:9200"), 1, "");
        Assert.NotNull(registry.TryLease(jobId, 1, 1));
        // A 5 s step that falls out of the window, then 8 steps of 10 ms, 7 of 30 ms and one of 900 ms: the upper middle is 30 ms.
        TrainingMetrics.RecordWorkerCompute(jobId, worker.Id, 5.0);
        for (int step = 0; step < RecentComputeTimes.Capacity - 1; step++)
        {
            TrainingMetrics.RecordWorkerCompute(jobId, worker.Id, step % 2 == 0 ? 0.010 : 0.030);
        }
        TrainingMetrics.RecordWorkerCompute(jobId, worker.Id, 0.900);

        using var table = JsonDocument.Parse(new WorkersFeed(registry, rates).Snapshot());

        var row = Assert.Single(table.RootElement.GetProperty("workers").EnumerateArray());
        Assert.Equal(30.0, row.GetProperty("stepMilliseconds").GetDouble(), 6);
    }
}
