using System.Diagnostics;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Transport;
using Grpc.Health.V1;
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
}
