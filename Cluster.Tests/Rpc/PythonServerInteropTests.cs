using System.Diagnostics;
using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>The C# client calling a grpcio server (Debian python3-grpcio).</summary>
public sealed class PythonServerInteropTests(PythonServerFixture python) : IClassFixture<PythonServerFixture>
{
    private static readonly CallOptions TenSeconds = CallOptions.WithTimeout(TimeSpan.FromSeconds(10));

    [PythonGrpcFact]
    public async Task UnaryAsync_ToGrpcio_ReturnsEcho()
    {
        EchoReply reply = await python.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "hi", Payload = ByteString.CopyFrom(7, 8) }, TenSeconds);

        Assert.Equal("hi", reply.Text);
        Assert.Equal([7, 8], reply.Payload.ToByteArray());
    }

    [PythonGrpcFact]
    public async Task UnaryAsync_ToGrpcioWithDeadline_ServerSeesIt()
    {
        EchoReply reply = await python.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest(), TenSeconds);

        Assert.InRange(reply.DeadlineLeftMs, 5000, 10_000);
    }

    [PythonGrpcFact]
    public async Task UnaryAsync_ToGrpcioWithMetadata_ServerSeesIt()
    {
        EchoReply reply = await python.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest(), new CallOptions(DateTime.UtcNow.AddSeconds(10), new Metadata().Add("x-echo", "cs")));

        Assert.Equal("cs", reply.EchoHeader);
    }

    [PythonGrpcFact]
    public async Task ServerStreaming_ToGrpcio_AllRepliesInOrder()
    {
        using ServerStreamingCall<EchoReply> call = python.Channel.ServerStreaming(EchoMethods.Expand, new EchoRequest { Repeat = 5 }, TenSeconds);

        List<int> indexes = await call.ResponseStream.ReadAllAsync().Select(r => r.Index).ToListAsync();

        Assert.Equal([0, 1, 2, 3, 4], indexes);
    }

    [PythonGrpcFact]
    public async Task ClientStreaming_ToGrpcio_ServerCollectsAll()
    {
        using ClientStreamingCall<EchoRequest, EchoReply> call = python.Channel.ClientStreaming(EchoMethods.Collect, TenSeconds);
        foreach (string text in new[] { "p", "q", "r" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text });
        }

        await call.RequestStream.CompleteAsync();
        EchoReply reply = await call.ResponseAsync;

        Assert.Equal(("pqr", 3), (reply.Text, reply.Count));
    }

    [PythonGrpcFact]
    public async Task DuplexStreaming_ToGrpcio_EachRequestAnsweredAtOnce()
    {
        using DuplexStreamingCall<EchoRequest, EchoReply> call = python.Channel.DuplexStreaming(EchoMethods.Chat, TenSeconds);
        var texts = new List<string>();
        foreach (string text in new[] { "u", "v", "w" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text });
            Assert.True(await call.ResponseStream.MoveNext());
            texts.Add(call.ResponseStream.Current.Text);
        }

        await call.RequestStream.CompleteAsync();

        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal(["u", "v", "w"], texts);
    }

    [PythonGrpcFact]
    public async Task UnaryAsync_GrpcioAbortsWithNonAsciiMessage_CodeAndMessage()
    {
        var request = new EchoRequest { FailCode = (int)StatusCode.ResourceExhausted, FailMessage = "zu groß: 失败 100%" };

        var error = await Assert.ThrowsAsync<RpcException>(() => python.Channel.UnaryAsync(EchoMethods.Say, request, TenSeconds));

        Assert.Equal((StatusCode.ResourceExhausted, "zu groß: 失败 100%"), (error.StatusCode, error.Detail));
    }

    [PythonGrpcFact]
    public async Task DuplexStreaming_GrpcioAbortsMidStream_ReadThrowsItsStatus()
    {
        using DuplexStreamingCall<EchoRequest, EchoReply> call = python.Channel.DuplexStreaming(EchoMethods.Chat, TenSeconds);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "ok" });
        Assert.True(await call.ResponseStream.MoveNext());

        await call.RequestStream.WriteAsync(new EchoRequest { FailCode = (int)StatusCode.Aborted, FailMessage = "stop" });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal((StatusCode.Aborted, "stop"), (error.StatusCode, error.Detail));
    }

    [PythonGrpcFact]
    public async Task UnaryAsync_GrpcioTooSlowForDeadline_DeadlineExceededInTime()
    {
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(
            () => python.Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { DelayMs = 3000 }, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 250, 2500);
    }
}
