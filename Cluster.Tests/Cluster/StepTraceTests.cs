using System.Diagnostics;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Tests.Telemetry;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>
/// One trace per step across the coordinator's trainer and every worker, with correct parent links, as a trainer
/// process records it (<see cref="TelemetrySetup.AddTrainerTracing"/>): the coordinator's <c>step.call</c> span of each
/// worker under the step, the worker's <c>worker.step</c> span under it (its parent travels in the step's header, since
/// one Step call carries many steps), the worker's spans under that.
/// </summary>
public sealed class StepTraceTests
{
    private const string StepMethod = "trainer.v1.WorkerControl/Step";

    private static readonly ClusterBackendOptions ShortDeadlines = new()
    {
        PrepareTimeout = TimeSpan.FromSeconds(30),
        EvaluateTimeout = TimeSpan.FromSeconds(20),
    };

    /// <param name="clipByGlobalNorm">
    /// True: the update needs the whole gradient, so each step starts after the last one's update. False: each step's
    /// headers go out right behind the last step's, and its span, begun then, is taken up by the trainer: the tree is the same.
    /// </param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_TwoWorkers_OneStepIsOneTraceWithWorkerSpansUnderTheirCalls(bool clipByGlobalNorm)
    {
        var exporter = new InMemorySpanExporter();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddTrainerTracing().AddProcessor(new SimpleActivityExportProcessor(exporter)).Build();
        using var directory = new TemporaryDirectory();
        var spec = ClusterJobs.WriteSpec(directory.Path, epochs: 1);
        if (!clipByGlobalNorm)
        {
            spec.Clipping = null;
        }
        var job = JobInput.FromSpec(spec);
        await using var fleet = await WorkerFleet.StartAsync(2);
        string jobId = $"j-trace-{Guid.NewGuid():N}";

        using (var trainer = Trainer.Create(job.Spec, job.Data,
            model => new ClusterGradientBackend(jobId, job.Spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints), ShortDeadlines, _ => { })))
        {
            trainer.JobId = jobId;
            await trainer.RunAsync(new RecordingObserver(), stopAfterSteps: 3);
        }

        var root = Assert.Single(exporter.Spans,
            span => span.OperationName == TrainingSpans.Step
                && Equals(span.GetTagItem(TrainingAttributes.JobId), jobId)
                && Equals(span.GetTagItem(TrainingAttributes.Step), 2L));
        var first = Assert.Single(exporter.Spans,
            span => span.OperationName == TrainingSpans.Step
                && Equals(span.GetTagItem(TrainingAttributes.JobId), jobId)
                && Equals(span.GetTagItem(TrainingAttributes.Step), 1L));
        // Per worker: its step.call and worker.step spans, two ring phases and the compute; then clip and optimizer.
        var spans = await WaitForTraceAsync(exporter, root.TraceId, 1 + 2 * 5 + 2);
        Assert.Equal(default, root.ParentSpanId);

        var calls = spans.Where(s => s.OperationName == TrainingSpans.StepCall).ToList();
        var workerSteps = spans.Where(s => s.OperationName == TrainingSpans.WorkerStep).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(2, workerSteps.Count);
        Assert.All(calls, call => Assert.Equal((ActivityKind.Client, root.SpanId), (call.Kind, call.ParentSpanId)));
        Assert.Equal([0, 1], calls.Select(call => (int)call.GetTagItem(TrainingAttributes.WorkerRank)!).Order());
        // Sent ahead, the step's calls begin while the first step is still running; otherwise after it ended.
        DateTime firstEnd = first.StartTimeUtc + first.Duration;
        Assert.All(calls, call => Assert.Equal(!clipByGlobalNorm, call.StartTimeUtc < firstEnd));
        Assert.All(workerSteps, step => Assert.Equal(ActivityKind.Server, step.Kind));
        Assert.All(workerSteps, step => Assert.Contains(calls, call => call.SpanId == step.ParentSpanId
            && Equals(call.GetTagItem(TrainingAttributes.WorkerRank), step.GetTagItem(TrainingAttributes.WorkerRank))));
        // The gRPC spans of the Step calls last as long as the stream: none of them is in a step's trace.
        Assert.DoesNotContain(spans, s => s.DisplayName == StepMethod);

        var workerSpans = spans.Where(s => s.OperationName is TrainingSpans.WorkerCompute or TrainingSpans.Ring).ToList();
        Assert.Equal(6, workerSpans.Count);
        Assert.All(workerSpans, span => Assert.Contains(workerSteps, step => step.SpanId == span.ParentSpanId));
        Assert.Equal(2, workerSpans.Count(s => Equals(s.GetTagItem(TrainingAttributes.RingPhase), "reduce-scatter")));

        foreach (string central in new[] { TrainingSpans.Clip, TrainingSpans.Optimizer })
        {
            Assert.Equal(root.SpanId, Assert.Single(spans, s => s.OperationName == central).ParentSpanId);
        }
    }

    // The exporter adds spans from the threads that end them.
    /// <summary>Waits (up to 10 s) until <paramref name="count"/> spans of <paramref name="trace"/> were exported; a server's may end after its client's.</summary>
    private static async Task<List<Activity>> WaitForTraceAsync(InMemorySpanExporter exporter, ActivityTraceId trace, int count)
    {
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var spans = exporter.Spans.Where(span => span.TraceId == trace).ToList();
            if (spans.Count >= count || DateTime.UtcNow > end)
            {
                return spans;
            }
            await Task.Delay(20);
        }
    }
}
