using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace DistributedTrainer.Tests.Telemetry;

/// <summary>
/// Keeps exported spans in memory, for tests that run a real OpenTelemetry TracerProvider (OpenTelemetry's own
/// in-memory exporter is not restorable here). Register it with a <c>SimpleActivityExportProcessor</c> so each
/// span arrives when it ends.
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
