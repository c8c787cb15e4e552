using System.Diagnostics;
using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>Client and server spans of calls from <see cref="RpcChannel"/> to a <see cref="GrpcHost"/> on loopback.</summary>
public sealed class RpcDiagnosticsTests(EchoServerFixture server) : IClassFixture<EchoServerFixture>
{
    private const string SayName = "test.v1.Echo/Say";

    [Fact]
    public async Task UnaryAsync_WithListener_ServerSpanIsChildOfClientSpanInOneTrace()
    {
        using var recorder = new ActivityRecorder(RpcDiagnostics.ActivitySourceName);
        ActivityTraceId traceId;
        using (Activity parent = ActivityRecorder.TestSource.StartActivity("caller")!)
        {
            traceId = parent.TraceId;
            await server.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "traced" });
        }

        IReadOnlyList<Activity> spans = await recorder.WaitForTraceAsync(traceId, 3);

        Activity client = spans.Single(a => a.Kind == ActivityKind.Client);
        Activity serverSpan = spans.Single(a => a.Kind == ActivityKind.Server);
        Assert.Equal((SayName, SayName), (client.DisplayName, serverSpan.DisplayName));
        Assert.Equal(client.SpanId, serverSpan.ParentSpanId);
    }

    [Fact]
    public async Task UnaryAsync_CurrentActivity_IsParentOfClientSpan()
    {
        using var recorder = new ActivityRecorder(RpcDiagnostics.ActivitySourceName);
        Activity parent = ActivityRecorder.TestSource.StartActivity("caller")!;
        try
        {
            await server.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "parented" });
        }
        finally
        {
            parent.Stop();
        }

        IReadOnlyList<Activity> spans = await recorder.WaitForTraceAsync(parent.TraceId, 3);

        Assert.Equal(parent.SpanId, spans.Single(a => a.Kind == ActivityKind.Client).ParentSpanId);
    }

    [Fact]
    public async Task UnaryAsync_WithListener_SpansCarryRpcAttributes()
    {
        using var recorder = new ActivityRecorder(RpcDiagnostics.ActivitySourceName);
        ActivityTraceId traceId;
        using (Activity parent = ActivityRecorder.TestSource.StartActivity("caller")!)
        {
            traceId = parent.TraceId;
            await server.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "attributes" });
        }

        IReadOnlyList<Activity> spans = await recorder.WaitForTraceAsync(traceId, 3);

        foreach (Activity span in spans.Where(a => a.Source.Name == RpcDiagnostics.ActivitySourceName))
        {
            Assert.Equal(("grpc", "test.v1.Echo", "Say", 0, server.Host.Port),
                (span.GetTagItem("rpc.system"), span.GetTagItem("rpc.service"), span.GetTagItem("rpc.method"),
                    span.GetTagItem("rpc.grpc.status_code"), span.GetTagItem("server.port")));
        }
    }

    [Fact]
    public async Task UnaryAsync_HandlerFailsWithNotFound_ClientSpanErrorServerSpanUnset()
    {
        using var recorder = new ActivityRecorder(RpcDiagnostics.ActivitySourceName);
        ActivityTraceId traceId;
        using (Activity parent = ActivityRecorder.TestSource.StartActivity("caller")!)
        {
            traceId = parent.TraceId;
            await Assert.ThrowsAsync<RpcException>(() => server.Channel.UnaryAsync(EchoMethods.Say,
                new EchoRequest { Text = "missing", FailCode = (int)StatusCode.NotFound, FailMessage = "no such thing" }));
        }

        IReadOnlyList<Activity> spans = await recorder.WaitForTraceAsync(traceId, 3);

        Activity client = spans.Single(a => a.Kind == ActivityKind.Client);
        Activity serverSpan = spans.Single(a => a.Kind == ActivityKind.Server);
        Assert.Equal((5, ActivityStatusCode.Error, "no such thing"), (client.GetTagItem("rpc.grpc.status_code"), client.Status, client.StatusDescription));
        Assert.Equal((5, ActivityStatusCode.Unset), (serverSpan.GetTagItem("rpc.grpc.status_code"), serverSpan.Status));
    }

    [Fact]
    public async Task UnaryAsync_HandlerThrows_ServerSpanRecordsUnknownAsError()
    {
        using var recorder = new ActivityRecorder(RpcDiagnostics.ActivitySourceName);
        ActivityTraceId traceId;
        using (Activity parent = ActivityRecorder.TestSource.StartActivity("caller")!)
        {
            traceId = parent.TraceId;
            await Assert.ThrowsAsync<RpcException>(() => server.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "throw" }));
        }

        IReadOnlyList<Activity> spans = await recorder.WaitForTraceAsync(traceId, 3);

        Activity serverSpan = spans.Single(a => a.Kind == ActivityKind.Server);
        Assert.Equal((2, ActivityStatusCode.Error), (serverSpan.GetTagItem("rpc.grpc.status_code"), serverSpan.Status));
    }

    [Fact]
    public async Task ServerStreaming_Started_LeavesCallerActivityCurrent()
    {
        using var recorder = new ActivityRecorder(RpcDiagnostics.ActivitySourceName);
        using Activity parent = ActivityRecorder.TestSource.StartActivity("caller")!;

        using ServerStreamingCall<EchoReply> call = server.Channel.ServerStreaming(EchoMethods.Expand, new EchoRequest { Text = "s", Repeat = 2 });
        Activity? during = Activity.Current;
        await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Same(parent, during);
    }

    [Fact]
    public async Task ServerStreaming_ReadToEnd_ClientSpanCoversTheWholeCall()
    {
        using var recorder = new ActivityRecorder(RpcDiagnostics.ActivitySourceName);
        ActivityTraceId traceId;
        using (Activity parent = ActivityRecorder.TestSource.StartActivity("caller")!)
        {
            traceId = parent.TraceId;
            using ServerStreamingCall<EchoReply> call = server.Channel.ServerStreaming(EchoMethods.Expand, new EchoRequest { Text = "s", Repeat = 3 });
            await call.ResponseStream.ReadAllAsync().ToListAsync();
        }

        IReadOnlyList<Activity> spans = await recorder.WaitForTraceAsync(traceId, 3);

        Activity client = spans.Single(a => a.Kind == ActivityKind.Client);
        Activity serverSpan = spans.Single(a => a.Kind == ActivityKind.Server);
        Assert.True(client.StartTimeUtc + client.Duration >= serverSpan.StartTimeUtc + serverSpan.Duration - TimeSpan.FromMilliseconds(1),
            $"client span ends {client.StartTimeUtc + client.Duration:O}, server span {serverSpan.StartTimeUtc + serverSpan.Duration:O}");
    }
}
