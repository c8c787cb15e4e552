namespace DistributedTrainer.Diagnostics;

/// <summary>
/// The trace of one training step, gathered from the span files of every process: the root span
/// (<see cref="TrainingSpans.Step"/>, tagged with the job id and step) and its descendants, as a tree.
/// </summary>
public sealed class StepTrace
{
    private readonly IReadOnlyList<SpanRecord> _spans;

    private StepTrace(SpanRecord root, IReadOnlyList<SpanRecord> spans)
    {
        Root = root;
        _spans = spans;
    }

    /// <summary>The step's root span.</summary>
    public SpanRecord Root { get; }

    /// <summary>The spans of the trace, the root included.</summary>
    public IReadOnlyList<SpanRecord> Spans => _spans;

    /// <summary>
    /// The trace of step <paramref name="step"/> of job <paramref name="jobId"/>: the root span tagged with both
    /// (the latest, when a resumed job ran the step twice), or null.
    /// </summary>
    public static StepTrace? Find(IEnumerable<SpanRecord> spans, string jobId, long step)
    {
        List<SpanRecord> all = [.. spans];
        SpanRecord? root = all.Where(s => s.ParentSpanId is null && IsStep(s, jobId, step)).MaxBy(s => s.StartUnixNano);
        return root is null ? null : new StepTrace(root, [.. all.Where(s => s.TraceId == root.TraceId)]);
    }

    /// <summary>The step numbers of <paramref name="jobId"/> that have a root span, in order.</summary>
    public static IReadOnlyList<long> StepsOf(IEnumerable<SpanRecord> spans, string jobId) =>
        [.. spans.Where(s => s.ParentSpanId is null && Equals(s.Attribute(TrainingAttributes.JobId), jobId))
            .Select(s => StepNumber(s.Attribute(TrainingAttributes.Step)))
            .OfType<long>()
            .Distinct()
            .Order()];

    /// <summary>
    /// The spans depth first, children by start time, each with its depth (the root 0). A span whose parent
    /// is not in the files (its process did not flush, or exported elsewhere) hangs under the root, marked.
    /// </summary>
    public IReadOnlyList<(SpanRecord Span, int Depth, bool Orphan)> Walk()
    {
        var ids = new HashSet<string>(_spans.Select(s => s.SpanId), StringComparer.Ordinal);
        ILookup<string, SpanRecord> children = _spans.Where(s => s != Root)
            .ToLookup(s => s.ParentSpanId is { } parent && ids.Contains(parent) ? parent : Root.SpanId, StringComparer.Ordinal);
        var walk = new List<(SpanRecord, int, bool)>();
        var pending = new Stack<(SpanRecord Span, int Depth)>();
        pending.Push((Root, 0));
        while (pending.TryPop(out (SpanRecord Span, int Depth) next))
        {
            bool orphan = next.Span != Root && (next.Span.ParentSpanId is null || !ids.Contains(next.Span.ParentSpanId));
            walk.Add((next.Span, next.Depth, orphan));
            foreach (SpanRecord child in children[next.Span.SpanId].OrderByDescending(s => s.StartUnixNano))
            {
                pending.Push((child, next.Depth + 1));
            }
        }

        return walk;
    }

    private static bool IsStep(SpanRecord span, string jobId, long step) =>
        Equals(span.Attribute(TrainingAttributes.JobId), jobId) && StepNumber(span.Attribute(TrainingAttributes.Step)) == step;

    // Written as an integer by this project; a string or a whole double from another writer counts too.
    private static long? StepNumber(object? value) => value switch
    {
        long number => number,
        double number when number == Math.Floor(number) => (long)number,
        string text when long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long parsed) => parsed,
        _ => null,
    };
}
