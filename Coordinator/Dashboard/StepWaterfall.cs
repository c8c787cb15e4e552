using DistributedTrainer.Diagnostics;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// One step's spans across the coordinator and the workers, laid out for a waterfall: what <c>trainctl trace</c> prints,
/// from the same span files (<c>*.traces.jsonl</c>) the cluster's processes write into the telemetry directory.
/// Spans reach the files in batches, so the newest step may not be there yet.
/// </summary>
internal static class StepWaterfall
{
    /// <summary>The steps of <paramref name="jobId"/> with a root span in <paramref name="directory"/>, in order (none when it does not exist).</summary>
    /// <exception cref="FormatException">A span file has a line that is not a span.</exception>
    public static IReadOnlyList<long> Steps(string directory, string jobId) => StepTrace.StepsOf(ReadAll(directory), jobId);

    /// <summary>The waterfall of step <paramref name="step"/> of <paramref name="jobId"/>, or null when it was not traced.</summary>
    /// <exception cref="FormatException">A span file has a line that is not a span.</exception>
    public static Waterfall? Find(string directory, string jobId, long step)
    {
        if (StepTrace.Find(ReadAll(directory), jobId, step) is not { } trace)
        {
            return null;
        }
        long origin = trace.Root.StartUnixNano;
        var spans = trace.Walk().Select(entry => new WaterfallSpan(entry.Span.Name, entry.Span.Service, entry.Depth,
            (entry.Span.StartUnixNano - origin) / 1e6, entry.Span.DurationNano / 1e6, entry.Span.Status,
            entry.Span.Attribute(TrainingAttributes.WorkerRank) is long rank ? (int)rank : null, entry.Orphan)).ToList();
        return new Waterfall(trace.Root.TraceId, step, trace.Root.DurationNano / 1e6, spans);
    }

    private static List<SpanRecord> ReadAll(string directory) =>
        Directory.Exists(directory) ? [.. TraceFiles.Find(directory).SelectMany(TraceFiles.Read)] : [];

    /// <summary>A step's trace: its spans depth first, children by start time, times in milliseconds from the step's start.</summary>
    public sealed record Waterfall(string TraceId, long Step, double DurationMs, IReadOnlyList<WaterfallSpan> Spans);

    /// <summary>One bar of the waterfall; <paramref name="Rank"/> is the worker's ring rank on worker spans.</summary>
    public sealed record WaterfallSpan(string Name, string Service, int Depth, double OffsetMs, double DurationMs, string Status, int? Rank, bool Orphan);
}
