using System.Diagnostics;
using System.Text.Json;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Telemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using Xunit;
using OtlpSpan = OpenTelemetry.Proto.Trace.V1.Span;

namespace DistributedTrainer.Tests.Telemetry;

/// <summary>
/// Export through <see cref="TelemetrySetup"/>. Providers listen process-wide and tests run side by side, so
/// each test finds its own spans and points by a job id of its own.
/// </summary>
public sealed class TelemetrySetupTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("telemetry-").FullName;
    private readonly string _jobId = $"job-{Guid.NewGuid():N}";

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Start_FileDirectory_WritesSpanLinesWithParentLinks()
    {
        TelemetrySession session = TelemetrySetup.Start(Options());
        string path = session.TracesFile!;
        using (Activity? step = TrainingDiagnostics.StartStep(_jobId, 7, 1))
        {
            using Activity? forward = TrainingDiagnostics.Source.StartActivity(TrainingSpans.Forward);
        }

        session.Dispose();

        List<SpanRecord> spans = [.. File.ReadAllLines(path).Select(SpanRecord.Parse).Where(s => s.TraceId == TraceOfJob(path))];
        SpanRecord root = spans.Single(s => s.Name == TrainingSpans.Step);
        SpanRecord child = spans.Single(s => s.Name == TrainingSpans.Forward);
        Assert.Equal((null, root.SpanId, "coordinator", 7L), (root.ParentSpanId, child.ParentSpanId, child.Service, root.Attribute(TrainingAttributes.Step) as long?));
    }

    [Fact]
    public void Start_FileDirectory_NamesFilesByServiceAndProcess()
    {
        using TelemetrySession session = TelemetrySetup.Start(Options());

        string stem = Path.Combine(_directory, $"coordinator-{Environment.ProcessId}");
        Assert.Equal((stem + ".traces.jsonl", stem + ".metrics.jsonl"), (session.TracesFile, session.MetricsFile));
    }

    [Fact]
    public void Start_FileDirectory_WritesMetricPointLines()
    {
        TelemetrySession session = TelemetrySetup.Start(Options());
        string path = session.MetricsFile!;
        TrainingMetrics.RecordPhase(_jobId, TrainingSpans.Forward, TimeSpan.FromMilliseconds(250));
        TrainingMetrics.RecordLoss(_jobId, 0.5);

        session.Dispose();

        List<JsonElement> points = [.. File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(p => p.GetProperty("tags").TryGetProperty(TrainingAttributes.JobId, out JsonElement job) && job.GetString() == _jobId)];
        JsonElement loss = points.Last(p => p.GetProperty("name").GetString() == "train.loss");
        JsonElement phase = points.Last(p => p.GetProperty("name").GetString() == "train.step.duration");
        Assert.Equal(("gauge", 0.5), (loss.GetProperty("type").GetString(), loss.GetProperty("value").GetDouble()));
        Assert.Equal(("histogram", 1L, 0.25, "forward"), (phase.GetProperty("type").GetString(), phase.GetProperty("count").GetInt64(),
            phase.GetProperty("sum").GetDouble(), phase.GetProperty("tags").GetProperty(TrainingAttributes.Phase).GetString()));
    }

    [Fact]
    public void Start_FileDirectory_SeriesOfAnEndedJobIsNotWrittenAgain()
    {
        string laterJobId = $"job-{Guid.NewGuid():N}";
        TelemetrySession session = TelemetrySetup.Start(Options());
        string path = session.MetricsFile!;
        TrainingMetrics.RecordLoss(_jobId, 0.5);
        session.ForceFlush();
        // The first job has ended; only the later one measures from here on.
        TrainingMetrics.RecordLoss(laterJobId, 0.7);
        session.ForceFlush();

        session.Dispose();

        var lossJobIds = File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(p => p.GetProperty("name").GetString() == "train.loss")
            .Select(p => p.GetProperty("tags").TryGetProperty(TrainingAttributes.JobId, out JsonElement job) ? job.GetString() : null)
            .Where(jobId => jobId == _jobId || jobId == laterJobId)
            .ToList();
        // Cumulative export held the ended job's series and wrote it at every collection (here 3 times).
        Assert.Equal([_jobId, laterJobId], lossJobIds);
    }

    [Fact]
    public void Start_DirectoryFromEnvironmentVariable_WritesFilesThere()
    {
        using TelemetrySession session = TelemetrySetup.Start(new TelemetryOptions
        {
            ServiceName = "worker",
            GetEnvironmentVariable = name => name == TrainerTelemetry.DirectoryVariable ? _directory : null,
        });

        Assert.Equal((TelemetryExport.File, _directory), (session.Traces, Path.GetDirectoryName(session.TracesFile)));
    }

    [Fact]
    public void Start_OtlpEndpointVariable_ExportsBothSignalsToOtlpWithoutFiles()
    {
        using TelemetrySession session = TelemetrySetup.Start(Options() with
        {
            GetEnvironmentVariable = name => name == TrainerTelemetry.OtlpEndpointVariable ? "http://127.0.0.1:9" : null,
        });

        Assert.Equal((TelemetryExport.Otlp, TelemetryExport.Otlp, null, null), (session.Traces, session.Metrics, session.TracesFile, session.MetricsFile));
    }

    [Fact]
    public void Start_OnlyTracesEndpointVariable_MetricsStillGoToFile()
    {
        using TelemetrySession session = TelemetrySetup.Start(Options() with
        {
            GetEnvironmentVariable = name => name == TrainerTelemetry.OtlpTracesEndpointVariable ? "http://127.0.0.1:9/v1/traces" : null,
        });

        Assert.Equal((TelemetryExport.Otlp, TelemetryExport.File), (session.Traces, session.Metrics));
    }

    [Fact]
    public void Start_NoDirectoryNoEndpoint_ExportsNothing()
    {
        using TelemetrySession session = TelemetrySetup.Start(new TelemetryOptions { ServiceName = "trainctl", GetEnvironmentVariable = _ => null });

        Assert.Equal((TelemetryExport.None, TelemetryExport.None), (session.Traces, session.Metrics));
    }

    [Fact]
    public void Start_ServiceNameWithSlash_ThrowsNamingField()
    {
        var error = Assert.Throws<ArgumentException>(() => TelemetrySetup.Start(Options() with { ServiceName = "../evil" }));

        Assert.Contains("ServiceName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_OtlpHttpProtobuf_ReceiverDecodesSpanNamesAndAttributes()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        TelemetrySession session = TelemetrySetup.Start(Options() with
        {
            OtlpTraces = otlp =>
            {
                otlp.Endpoint = receiver.TracesEndpoint;
                otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            },
        });
        using (TrainingDiagnostics.StartStep(_jobId, 3, 2))
        {
            using Activity? worker = TrainingDiagnostics.Source.StartActivity(TrainingSpans.WorkerCompute);
            worker?.SetTag(TrainingAttributes.WorkerRank, 1);
        }

        session.Dispose();

        List<OtlpSpan> spans = [];
        while (receiver.Requests.TryRead(out ExportTraceServiceRequest? request))
        {
            spans.AddRange(request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans));
        }

        OtlpSpan step = spans.Single(s => s.Name == TrainingSpans.Step && Attribute(s, TrainingAttributes.JobId)?.StringValue == _jobId);
        OtlpSpan compute = spans.Single(s => s.Name == TrainingSpans.WorkerCompute && s.TraceId == step.TraceId);
        Assert.Equal((3L, 2L, step.SpanId, 1L),
            (Attribute(step, TrainingAttributes.Step)!.IntValue, Attribute(step, TrainingAttributes.Epoch)!.IntValue, compute.ParentSpanId,
                Attribute(compute, TrainingAttributes.WorkerRank)!.IntValue));
    }

    private TelemetryOptions Options() => new()
    {
        ServiceName = "coordinator",
        FileDirectory = _directory,
        GetEnvironmentVariable = _ => null,
    };

    private string TraceOfJob(string path) => File.ReadAllLines(path).Select(SpanRecord.Parse)
        .Single(s => s.Name == TrainingSpans.Step && (string?)s.Attribute(TrainingAttributes.JobId) == _jobId).TraceId;

    private static AnyValue? Attribute(OtlpSpan span, string key) => span.Attributes.FirstOrDefault(a => a.Key == key)?.Value;
}
