using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace DistributedTrainer.Tests.Telemetry;

/// <summary>
/// Keeps exported spans in memory, for tests that run a real OpenTelemetry TracerProvider. Unlike OpenTelemetry's
/// in-memory exporter over a <see cref="List{T}"/>, it may be read while spans of tests running beside it end on
/// other threads. Register it with a <c>SimpleActivityExportProcessor</c> so each span arrives when it ends.
/// </summary>
internal sealed class InMemorySpanExporter : BaseExporter<Activity>
{
    private readonly ConcurrentQueue<Activity> _spans = new();

    public IReadOnlyList<Activity> Spans => [.. _spans];

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (Activity activity in batch)
        {
            _spans.Enqueue(activity);
        }

        return ExportResult.Success;
    }
}
