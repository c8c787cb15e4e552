using System.Diagnostics;
using DistributedTrainer.Diagnostics;
using OpenTelemetry;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// Writes finished spans to a <c>*.traces.jsonl</c> file, one <see cref="SpanRecord"/> per line, a batch per
/// export (the console and in-memory exporters of OpenTelemetry are not restorable here).
/// </summary>
internal sealed class JsonLinesSpanExporter : BaseExporter<Activity>
{
    private readonly JsonLinesFile _file;
    private readonly string _service;

    public JsonLinesSpanExporter(string path, string service)
    {
        _file = new JsonLinesFile(path);
        _service = service;
    }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        try
        {
            foreach (Activity activity in batch)
            {
                ToRecord(activity, _service).WriteTo(_file.Writer);
                _file.EndLine();
            }

            _file.Commit();
            return ExportResult.Success;
        }
        catch (IOException)
        {
            // A full or vanished disk loses this batch, never the training; the next batch tries again.
            return ExportResult.Failure;
        }
    }

    /// <summary>The record of a finished span.</summary>
    public static SpanRecord ToRecord(Activity activity, string service)
    {
        var attributes = new List<KeyValuePair<string, object?>>();
        foreach (KeyValuePair<string, object?> tag in activity.TagObjects)
        {
            attributes.Add(tag);
        }

        var events = new List<SpanEventRecord>();
        foreach (ActivityEvent e in activity.Events)
        {
            events.Add(new SpanEventRecord(e.Name, UnixNano(e.Timestamp.UtcDateTime), [.. e.Tags]));
        }

        return new SpanRecord(
            activity.TraceId.ToHexString(),
            activity.SpanId.ToHexString(),
            activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString(),
            activity.DisplayName,
            activity.Kind.ToString(),
            service,
            UnixNano(activity.StartTimeUtc),
            activity.Duration.Ticks * 100,
            activity.Status.ToString(),
            activity.StatusDescription,
            attributes,
            events);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private static long UnixNano(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks * 100;
}
