using System.Diagnostics;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Tests.Rpc;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>
/// One trace per step across the coordinator's trainer and every worker, with correct parent links: the spans of
/// Grpc.Net.Client (client), SocketsHttpHandler (the HTTP request under it) and ASP.NET Core (server) carry the
/// trace from the coordinator's step into the worker's handler.
/// </summary>
public sealed class StepTraceTests
{
    // The sources of the call's spans, and the tag grpc-dotnet puts on its client and server spans.
    private const string GrpcClientSource = "Grpc.Net.Client";
    private const string HttpClientSource = "System.Net.Http";
    private const string AspNetCoreSource = "Microsoft.AspNetCore";
    private const string GrpcMethodTag = "grpc.method";
    private const string StepMethod = "/trainer.v1.WorkerControl/Step";

    private static readonly ClusterBackendOptions ShortDeadlines = new()
    {
        PrepareTimeout = TimeSpan.FromSeconds(30),
        EvaluateTimeout = TimeSpan.FromSeconds(20),
    };

    [Fact]
    public async Task RunAsync_TwoWorkers_OneStepIsOneTraceWithWorkerSpansUnderTheirCalls()
    {
        using var recorder = new ActivityRecorder(TrainingDiagnostics.SourceName, GrpcClientSource, HttpClientSource, AspNetCoreSource);
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

        var root = Assert.Single(recorder.Stopped,
            span => span.OperationName == TrainingSpans.Step
                && Equals(span.GetTagItem(TrainingAttributes.JobId), jobId)
                && Equals(span.GetTagItem(TrainingAttributes.Step), 2L));
        // Per worker: the Step's gRPC client, HTTP client and server spans, two ring phases and the compute; then clip and optimizer.
        var spans = await recorder.WaitForTraceAsync(root.TraceId, 1 + 2 * 6 + 2);
        Assert.Equal(default, root.ParentSpanId);

        var clients = spans.Where(s => s.Kind == ActivityKind.Client && s.Source.Name == GrpcClientSource && Equals(s.GetTagItem(GrpcMethodTag), StepMethod)).ToList();
        var requests = spans.Where(s => s.Kind == ActivityKind.Client && s.Source.Name == HttpClientSource).ToList();
        var servers = spans.Where(s => s.Kind == ActivityKind.Server && Equals(s.GetTagItem(GrpcMethodTag), StepMethod)).ToList();
        Assert.Equal(2, clients.Count);
        Assert.Equal(2, servers.Count);
        Assert.All(clients, client => Assert.Equal(root.SpanId, client.ParentSpanId));
        Assert.All(servers, server => Assert.Contains(requests, request => request.SpanId == server.ParentSpanId
            && clients.Any(client => client.SpanId == request.ParentSpanId)));

        var workerSpans = spans.Where(s => s.OperationName is TrainingSpans.WorkerCompute or TrainingSpans.Ring).ToList();
        Assert.Equal(6, workerSpans.Count);
        Assert.All(workerSpans, span => Assert.Contains(servers, server => server.SpanId == span.ParentSpanId));
        Assert.Equal(2, workerSpans.Count(s => Equals(s.GetTagItem(TrainingAttributes.RingPhase), "reduce-scatter")));

        foreach (string central in new[] { TrainingSpans.Clip, TrainingSpans.Optimizer })
        {
            Assert.Equal(root.SpanId, Assert.Single(spans, s => s.OperationName == central).ParentSpanId);
        }
    }
}
