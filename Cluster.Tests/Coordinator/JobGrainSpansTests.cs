using System.Diagnostics;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Tests.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>A Jobs call and the job grain call it makes are one trace, as a coordinator process records it.</summary>
public sealed class JobGrainSpansTests
{
    [Fact]
    public async Task SubmitJob_Traced_GrainCallSpanUnderTheServerSpan()
    {
        // Spans of other tests' coordinators end on other threads while this one reads: a thread-safe exporter.
        var exporter = new InMemorySpanExporter();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddTrainerTracing().AddProcessor(new SimpleActivityExportProcessor(exporter)).Build();
        await using var coordinator = await TestCoordinator.StartAsync();

        string jobId = await coordinator.SubmitAsync(TestJobs.Spec(coordinator.Directory, epochs: 1));

        // ASP.NET Core ends the server span after the client has its answer: wait for it, up to 10 s.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        IReadOnlyList<Activity> exported = exporter.Spans;
        while (!exported.Any(span => IsTracedSubmit(span, exported, jobId)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            exported = exporter.Spans;
        }

        Assert.Single(exported, span => IsTracedSubmit(span, exported, jobId));
    }

    // Other tests' coordinators run beside this one: this call is the one whose grain span names its job id.
    private static bool IsTracedSubmit(Activity span, IReadOnlyList<Activity> exported, string jobId) =>
        span.Kind == ActivityKind.Server && span.DisplayName == "trainer.v1.Jobs/SubmitJob"
            && exported.Any(child => child.ParentSpanId == span.SpanId && child.Source.Name == TrainerTelemetry.OrleansGrainCallsSourceName
                && child.TraceId == span.TraceId && Equals(child.GetTagItem("orleans.rpc.target_id"), $"job/{jobId}"));
}
