using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DistributedTrainer.Coordinator.Cluster;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The workers page's data: every registered worker, the job that holds it, its measured samples per second in that
/// job, the median of its recent step compute times there (<see cref="RecentComputeTimes"/>) and whether it is a straggler there, from the worker registry and <see cref="WorkerRates"/>. The stream sends
/// the table (<c>workers</c>) at once, then again whenever the registry or a rate changes, at most every
/// <see cref="Interval"/>.
/// </summary>
internal sealed class WorkersFeed(WorkerRegistry registry, WorkerRates rates)
{
    /// <summary>Below this fraction of the median rate of its job's workers a worker is a straggler (the shard balancer's rule).</summary>
    public const double StragglerFraction = 0.5;

    /// <summary>Least time between two tables on the stream.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The table now, as JSON: <c>{"live", "free", "workers": [{"id", "address", "threads", "jobId", "samplesPerSecond", "stepMilliseconds", "straggler"}]}</c>.</summary>
    public string Snapshot()
    {
        var holdings = registry.Holdings();
        var rows = holdings.Select(holding => new WorkerRow(holding.Worker.Id, holding.Worker.Address.ToString(), holding.Worker.Threads,
            holding.JobId, holding.JobId is { } job ? rates.RateOf(job, holding.Worker.Id) : null,
            holding.JobId is { } held && rates.MedianComputeSecondsOf(held, holding.Worker.Id) is { } seconds ? seconds * 1000 : null, false)).ToList();
        foreach (var job in rows.Where(row => row.SamplesPerSecond is not null).GroupBy(row => row.JobId))
        {
            var measured = job.Select(row => row.SamplesPerSecond!.Value).Order().ToList();
            double median = measured[measured.Count / 2];
            foreach (var row in job)
            {
                int index = rows.IndexOf(row);
                rows[index] = row with { Straggler = measured.Count > 1 && row.SamplesPerSecond < StragglerFraction * median };
            }
        }
        return JsonSerializer.Serialize(new WorkersTable(holdings.Count, holdings.Count(holding => holding.JobId is null), rows), Json);
    }

    /// <summary>The stream's items until <paramref name="cancellation"/> fires.</summary>
    public async IAsyncEnumerable<SseItem<string>> StreamAsync([EnumeratorCancellation] CancellationToken cancellation)
    {
        // Not disposed: a change raised on another thread may still release it after the handlers are removed.
        var changed = new SemaphoreSlim(0, 1);
        void OnChanged()
        {
            if (changed.CurrentCount == 0)
            {
                try
                {
                    changed.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Another change released it first: one wake-up covers both.
                }
            }
        }
        registry.Changed += OnChanged;
        rates.Changed += OnChanged;
        try
        {
            string? last = null;
            while (!cancellation.IsCancellationRequested)
            {
                string table = Snapshot();
                if (table != last)
                {
                    last = table;
                    yield return new SseItem<string>(table, "workers");
                }
                await changed.WaitAsync(cancellation);
                await Task.Delay(Interval, cancellation);
            }
        }
        finally
        {
            registry.Changed -= OnChanged;
            rates.Changed -= OnChanged;
        }
    }

    private sealed record WorkersTable(int Live, int Free, IReadOnlyList<WorkerRow> Workers);

    private sealed record WorkerRow(string Id, string Address, int Threads, string? JobId, double? SamplesPerSecond, double? StepMilliseconds, bool Straggler);
}
