using System.Diagnostics;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Tests.Training.Collective;
using DistributedTrainer.Tests.Worker;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Xunit;

namespace DistributedTrainer.Tests.Telemetry;

/// <summary>
/// The spans of one gRPC call as a trainer process records them (<see cref="TelemetrySetup.AddTrainerTracing"/>):
/// Grpc.Net.Client's client span under the caller's span, ASP.NET Core's server span under the client span, both
/// named <c>package.Service/Method</c>. Providers listen process-wide, so the test keeps the spans of its own trace.
/// </summary>
public sealed class GrpcCallSpansTests
{
    [Fact]
    public async Task UnaryCall_UnderAStep_ClientAndServerSpansNamedAfterTheMethodAndLinked()
    {
        var exporter = new InMemorySpanExporter();
        using (var tracing = Sdk.CreateTracerProviderBuilder().AddTrainerTracing().AddProcessor(new SimpleActivityExportProcessor(exporter)).Build())
        {
            await using var server = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions()).Build();
            server.MapGrpcInfrastructure();
            await server.StartAsync();
            using var channel = GrpcChannels.Create(server.BoundAddress());

            ActivityTraceId trace;
            using (Activity? step = TrainingDiagnostics.StartStep($"job-{Guid.NewGuid():N}", 3, 1))
            {
                trace = step!.TraceId;
                await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            }
            await server.StopAsync();
            tracing.ForceFlush();

            var spans = exporter.Spans.Where(span => span.TraceId == trace).ToList();
            var root = Assert.Single(spans, span => span.OperationName == TrainingSpans.Step);
            var client = Assert.Single(spans, span => span.Kind == ActivityKind.Client);
            var serverSpan = Assert.Single(spans, span => span.Kind == ActivityKind.Server);
            Assert.Equal(("grpc.health.v1.Health/Check", "grpc.health.v1.Health/Check"), (client.DisplayName, serverSpan.DisplayName));
            Assert.Equal((root.SpanId, client.SpanId), (client.ParentSpanId, serverSpan.ParentSpanId));
            // The server span carries what the client instrumentation puts on the client span.
            foreach (string tag in new[] { "rpc.system.name", "rpc.method", "rpc.response.status_code" })
            {
                Assert.Equal(client.GetTagItem(tag)?.ToString(), serverSpan.GetTagItem(tag)?.ToString());
            }
            Assert.Equal(("grpc", "grpc.health.v1.Health/Check", "OK"),
                (serverSpan.GetTagItem("rpc.system.name"), serverSpan.GetTagItem("rpc.method"), serverSpan.GetTagItem("rpc.response.status_code")));
        }
    }

    [Fact]
    public async Task DirectRingSubscription_ServerSpanNamedAndTaggedAsAspNetCoresWithItsStatus()
    {
        var exporter = new InMemorySpanExporter();
        string jobId = $"job-{Guid.NewGuid():N}";
        using var tracing = Sdk.CreateTracerProviderBuilder().AddTrainerTracing().AddProcessor(new SimpleActivityExportProcessor(exporter)).Build();
        // Only the direct path serves: Kestrel maps no Collective service.
        await using GrpcRing ring = await GrpcRing.StartAsync(2, jobId, kestrelService: false);
        await ring.Transports[0].SendAsync(new RingPieceHeader(1, CollectivePhase.AllGather, 0, 0, 0, 0), new byte[8], CancellationToken.None);
        await ring.Transports[1].ReceiveAsync(new RecordingPieceReader(), CancellationToken.None);

        // Rank 0 leaves: the subscription it serves to rank 1 ends OK, and its own, served by rank 1, is cancelled.
        await ring.Transports[0].DisposeAsync();
        await Assert.ThrowsAsync<IOException>(async () => await ring.Transports[1].ReceiveAsync(new RecordingPieceReader(), CancellationToken.None));

        List<Activity> spans = [];
        for (var wait = Stopwatch.StartNew(); spans.Count < 2 && wait.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(20))
        {
            spans = [.. exporter.Spans.Where(span => span.Kind == ActivityKind.Server && (string?)span.GetTagItem(TrainingAttributes.JobId) == jobId)];
        }
        Assert.Equal(2, spans.Count);
        Assert.All(spans, span => Assert.Equal(("trainer.v1.Collective/Subscribe", "grpc", "trainer.v1.Collective/Subscribe"),
            (span.DisplayName, span.GetTagItem("rpc.system.name"), span.GetTagItem("rpc.method"))));
        Assert.Equal(["CANCELLED", "OK"], spans.Select(span => (string?)span.GetTagItem("rpc.response.status_code")).Order());
        // Each continues its caller's trace under the client span of the call, whose end comes with the ring's.
        await ring.DisposeAsync();
        tracing.ForceFlush();
        Assert.All(spans, span => Assert.Single(exporter.Spans, client => client.Kind == ActivityKind.Client
            && (client.TraceId, client.SpanId, client.DisplayName) == (span.TraceId, span.ParentSpanId, "trainer.v1.Collective/Subscribe")));
    }

    [Fact]
    public async Task KestrelRingSubscription_ServerSpanTaggedWithItsJob()
    {
        var exporter = new InMemorySpanExporter();
        string jobId = $"job-{Guid.NewGuid():N}";
        using var tracing = Sdk.CreateTracerProviderBuilder().AddTrainerTracing().AddProcessor(new SimpleActivityExportProcessor(exporter)).Build();
        var service = new CollectiveService();
        await using var server = await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(service), app => app.MapGrpcService<CollectiveService>());
        using var channel = GrpcChannels.Create(server.Address);
        // An ordinary grpc-dotnet client's call, which Kestrel serves (the direct path takes only the lean client's).
        using (var call = new Protos.V1.Collective.CollectiveClient(channel).Subscribe(new RingSubscription { JobId = jobId, FromRank = 0, ToRank = 1 },
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10))))
        {
            await service.Subscriber(jobId, 1).WaitAsync(TimeSpan.FromSeconds(10));
            service.RemoveSubscriber(jobId, 1);
            Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        }

        Activity? span = null;
        for (var wait = Stopwatch.StartNew(); span is null && wait.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(20))
        {
            span = exporter.Spans.FirstOrDefault(candidate => candidate.Kind == ActivityKind.Server && (string?)candidate.GetTagItem(TrainingAttributes.JobId) == jobId);
        }
        Assert.NotNull(span);
        Assert.Equal(("trainer.v1.Collective/Subscribe", "Microsoft.AspNetCore"), (span.DisplayName, span.Source.Name));
    }
}
