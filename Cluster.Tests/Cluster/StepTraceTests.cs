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
/// process records it (<see cref="TelemetrySetup.AddTrainerTracing"/>): Grpc.Net.Client's client span of each Step
/// call under the step, ASP.NET Core's server span under it, the worker's spans under the server span.
/// </summary>
public sealed class StepTraceTests
{
    private const string StepMethod = "trainer.v1.WorkerControl/Step";

    private static readonly ClusterBackendOptions ShortDeadlines = new()
    {
        PrepareTimeout = TimeSpan.FromSeconds(30),
        EvaluateTimeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public async Task RunAsync_TwoWorkers_OneStepIsOneTraceWithWorkerSpansUnderTheirCalls()
    {
        var exporter = new InMemorySpanExporter();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddTrainerTracing().AddProcessor(new SimpleActivityExportProcessor(exporter)).Build();
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path, epochs: 1));
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
        // Per worker: the Step client and server spans, two ring phases and the compute; then clip and optimizer.
        var spans = await WaitForTraceAsync(exporter, root.TraceId, 1 + 2 * 5 + 2);
        Assert.Equal(default, root.ParentSpanId);

        var clients = spans.Where(s => s.Kind == ActivityKind.Client && s.DisplayName == StepMethod).ToList();
        var servers = spans.Where(s => s.Kind == ActivityKind.Server && s.DisplayName == StepMethod).ToList();
        Assert.Equal(2, clients.Count);
        Assert.Equal(2, servers.Count);
        Assert.All(clients, client => Assert.Equal(root.SpanId, client.ParentSpanId));
        Assert.All(servers, server => Assert.Contains(clients, client => client.SpanId == server.ParentSpanId));

        var workerSpans = spans.Where(s => s.OperationName is TrainingSpans.WorkerCompute or TrainingSpans.Ring).ToList();
        Assert.Equal(6, workerSpans.Count);
        Assert.All(workerSpans, span => Assert.Contains(servers, server => server.SpanId == span.ParentSpanId));
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
