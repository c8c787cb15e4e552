using System.Diagnostics;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Tests.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;

namespace DistributedTrainer.Tests.Diagnostics;

/// <summary>Step spans through a real OpenTelemetry TracerProvider with the test's in-memory exporter.</summary>
public sealed class TrainingDiagnosticsTests : IDisposable
{
    private readonly InMemorySpanExporter _exporter = new();
    private readonly TracerProvider _provider;
    private readonly string _jobId = $"job-{Guid.NewGuid():N}";

    public TrainingDiagnosticsTests()
    {
        _provider = Sdk.CreateTracerProviderBuilder()
            .AddSource([.. TrainerTelemetry.ActivitySourceNames, ActivityRecorder.TestSourceName])
            .AddProcessor(new SimpleActivityExportProcessor(_exporter))
            .Build();
    }

    public void Dispose() => _provider.Dispose();

    [Fact]
    public void StartStep_InsideAnotherSpan_StartsNewTraceLinkedToIt()
    {
        using Activity job = ActivityRecorder.TestSource.StartActivity("job")!;

        using (TrainingDiagnostics.StartStep(_jobId, 12, 3))
        {
        }

        Activity step = _exporter.Spans.Single(a => (string?)a.GetTagItem(TrainingAttributes.JobId) == _jobId);
        Assert.Equal((default, false, job.SpanId), (step.ParentSpanId, step.TraceId == job.TraceId, step.Links.Single().Context.SpanId));
    }

    [Fact]
    public void StartStep_Tags_JobStepAndEpoch()
    {
        using (TrainingDiagnostics.StartStep(_jobId, 12, 3))
        {
        }

        Activity step = _exporter.Spans.Single(a => (string?)a.GetTagItem(TrainingAttributes.JobId) == _jobId);
        Assert.Equal((TrainingSpans.Step, 12L, 3), (step.DisplayName, step.GetTagItem(TrainingAttributes.Step), step.GetTagItem(TrainingAttributes.Epoch)));
    }

    [Fact]
    public void StartStep_ChildSpan_JoinsStepTrace()
    {
        ActivitySpanId stepId;
        using (Activity step = TrainingDiagnostics.StartStep(_jobId, 1, 1)!)
        {
            stepId = step.SpanId;
            using Activity? clip = TrainingDiagnostics.Source.StartActivity(TrainingSpans.Clip);
        }

        Assert.Contains(_exporter.Spans, a => a.DisplayName == TrainingSpans.Clip && a.ParentSpanId == stepId);
    }
}
