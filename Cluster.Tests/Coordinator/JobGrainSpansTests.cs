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
        tracing.ForceFlush();
        var exported = exporter.Spans;

        // Other tests' coordinators run beside this one: find this call by its job id in the grain's span.
        Assert.Single(exported, span => span.Kind == ActivityKind.Server && span.DisplayName == "trainer.v1.Jobs/SubmitJob"
            && exported.Any(child => child.ParentSpanId == span.SpanId && child.Source.Name == TrainerTelemetry.OrleansGrainCallsSourceName
                && child.TraceId == span.TraceId && Equals(child.GetTagItem("orleans.rpc.target_id"), $"job/{jobId}")));
    }
}
