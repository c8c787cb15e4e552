using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DistributedTrainer.Diagnostics;

namespace DistributedTrainer.Client.Commands;

/// <summary>
/// `trainctl trace JOB --step N [--dir DIR] [--json]`: the span tree of one training step, from the span files
/// (<c>*.traces.jsonl</c>) every process of the job wrote into DIR (default <c>state/jobs/JOB/telemetry</c>,
/// relative to the working directory: the coordinator's layout when run from its directory).
/// </summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "Job id." };
        var step = new Option<long>("--step") { Description = "Step number (from 1).", Required = true };
        var directory = new Option<DirectoryInfo?>("--dir") { Description = "Directory of the *.traces.jsonl files (default: state/jobs/JOB/telemetry)." };
        var json = new Option<bool>("--json") { Description = "Print the spans as one JSON array, depth first." };
        var command = new Command("trace", "Print the span tree of one training step, with durations per process.") { job, step, directory, json };
        command.SetAction(parsed => Run(new TraceArguments(parsed.GetValue(job)!, parsed.GetValue(step), parsed.GetValue(directory)?.FullName,
            parsed.GetValue(json)), Console.Out, Console.Error));
        return command;
    }

    internal static int Run(TraceArguments arguments, TextWriter output, TextWriter error)
    {
        string jobId = arguments.JobId;
        if (jobId.Length == 0 || jobId.IndexOfAny(['/', '\\']) >= 0 || jobId is "." or "..")
        {
            error.WriteLine($"trainctl: invalid JOB '{jobId}' (a job id, not a path)");
            return ExitCodes.InvalidInput;
        }

        string directory = arguments.Directory ?? Path.Combine("state", "jobs", jobId, "telemetry");
        if (!Directory.Exists(directory))
        {
            error.WriteLine($"trainctl: no telemetry directory {Path.GetFullPath(directory)} (looked for the span files of job {jobId}; pass --dir)");
            return ExitCodes.InvalidInput;
        }

        IReadOnlyList<string> files = TraceFiles.Find(directory);
        if (files.Count == 0)
        {
            error.WriteLine($"trainctl: no span files ({TraceFiles.Pattern}) in {Path.GetFullPath(directory)}");
            return ExitCodes.InvalidInput;
        }

        List<SpanRecord> spans;
        try
        {
            spans = [.. files.SelectMany(TraceFiles.Read)];
        }
        catch (FormatException bad)
        {
            error.WriteLine($"trainctl: {bad.Message}");
            return ExitCodes.InvalidInput;
        }

        StepTrace? trace = StepTrace.Find(spans, jobId, arguments.Step);
        if (trace is null)
        {
            IReadOnlyList<long> steps = StepTrace.StepsOf(spans, jobId);
            string known = steps.Count == 0 ? $"no step of job {jobId} at all" : $"steps of job {jobId} found: {StepRanges(steps)}";
            error.WriteLine($"trainctl: no trace of job {jobId} step {arguments.Step} in {files.Count} span file(s) in {Path.GetFullPath(directory)} ({known})");
            return ExitCodes.InvalidInput;
        }

        if (arguments.Json)
        {
            WriteJson(trace, output);
        }
        else
        {
            WriteText(trace, output);
        }

        return ExitCodes.Ok;
    }

    private static void WriteText(StepTrace trace, TextWriter output)
    {
        SpanRecord root = trace.Root;
        int services = trace.Spans.Select(s => s.Service).Distinct(StringComparer.Ordinal).Count();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trace {root.TraceId}: {trace.Spans.Count} spans in {services} process(es), {Milliseconds(root.DurationNano):F3} ms"));
        int serviceWidth = Math.Max("PROCESS".Length, trace.Spans.Max(s => s.Service.Length));
        output.WriteLine($"{"OFFSET ms",10} {"DURATION ms",12}  {"PROCESS".PadRight(serviceWidth)}  SPAN");
        foreach ((SpanRecord span, int depth, bool orphan) in trace.Walk())
        {
            string offset = Milliseconds(span.StartUnixNano - root.StartUnixNano).ToString("F3", CultureInfo.InvariantCulture);
            string duration = Milliseconds(span.DurationNano).ToString("F3", CultureInfo.InvariantCulture);
            string marks = (span.Status == "Error" ? " [error" + (span.StatusDescription is { } d ? ": " + d : "") + "]" : "")
                + (orphan ? " (parent not recorded)" : "");
            output.WriteLine($"{offset,10} {duration,12}  {span.Service.PadRight(serviceWidth)}  {new string(' ', 2 * depth)}{span.Name}{marks}");
        }
    }

    private static void WriteJson(StepTrace trace, TextWriter output)
    {
        SpanRecord root = trace.Root;
        var spans = trace.Walk().Select(entry => new Dictionary<string, object?>
        {
            ["depth"] = entry.Depth,
            ["name"] = entry.Span.Name,
            ["service"] = entry.Span.Service,
            ["offset_ms"] = Milliseconds(entry.Span.StartUnixNano - root.StartUnixNano),
            ["duration_ms"] = Milliseconds(entry.Span.DurationNano),
            ["status"] = entry.Span.Status,
            ["span_id"] = entry.Span.SpanId,
            ["parent_span_id"] = entry.Span.ParentSpanId,
            ["orphan"] = entry.Orphan,
        });
        output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?> { ["trace_id"] = root.TraceId, ["spans"] = spans }));
    }

    private static double Milliseconds(long nanoseconds) => nanoseconds / 1e6;

    /// <summary>Steps as ranges: <c>1-40, 42</c>.</summary>
    private static string StepRanges(IReadOnlyList<long> steps)
    {
        var parts = new List<string>();
        for (int i = 0; i < steps.Count;)
        {
            int j = i;
            while (j + 1 < steps.Count && steps[j + 1] == steps[j] + 1)
            {
                j++;
            }
            parts.Add(i == j ? steps[i].ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{steps[i]}-{steps[j]}"));
            i = j + 1;
        }
        return string.Join(", ", parts);
    }
}

/// <summary>The parsed flags of `trainctl trace`.</summary>
internal sealed record TraceArguments(string JobId, long Step, string? Directory = null, bool Json = false);
