using System.Diagnostics;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Generated grpc-dotnet clients on a <see cref="DistributedTrainer.Transport.GrpcChannels"/> channel calling a grpcio server (Debian python3-grpcio).</summary>
public sealed class PythonServerInteropTests(PythonServerFixture python) : IClassFixture<PythonServerFixture>
{
    private static DateTime TenSeconds => DateTime.UtcNow.AddSeconds(10);

    [PythonGrpcFact]
    public async Task Say_ToGrpcio_ReturnsEcho()
    {
        EchoReply reply = await python.Client.SayAsync(new EchoRequest { Text = "hi", Payload = ByteString.CopyFrom(7, 8) }, deadline: TenSeconds);

        Assert.Equal(("hi", "0708"), (reply.Text, Convert.ToHexString(reply.Payload.Span)));
    }

    [PythonGrpcFact]
    public async Task Say_ToGrpcioWithDeadline_ServerSeesIt()
    {
        EchoReply reply = await python.Client.SayAsync(new EchoRequest(), deadline: TenSeconds);

        Assert.InRange(reply.DeadlineLeftMs, 5000, 10_000);
    }

    [PythonGrpcFact]
    public async Task Say_ToGrpcioWithMetadata_ServerSeesIt()
    {
        EchoReply reply = await python.Client.SayAsync(new EchoRequest(), new Metadata { { "x-echo", "cs" } }, TenSeconds);

        Assert.Equal("cs", reply.EchoHeader);
    }

    [PythonGrpcFact]
    public async Task Expand_ToGrpcio_AllRepliesInOrder()
    {
        using AsyncServerStreamingCall<EchoReply> call = python.Client.Expand(new EchoRequest { Repeat = 5 }, deadline: TenSeconds);

        List<int> indexes = await call.ResponseStream.ReadAllAsync().Select(r => r.Index).ToListAsync();

        Assert.Equal([0, 1, 2, 3, 4], indexes);
    }

    [PythonGrpcFact]
    public async Task Collect_ToGrpcio_ServerCollectsAll()
    {
        using AsyncClientStreamingCall<EchoRequest, EchoReply> call = python.Client.Collect(deadline: TenSeconds);
        foreach (string text in new[] { "p", "q", "r" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text });
        }
        await call.RequestStream.CompleteAsync();

        EchoReply reply = await call.ResponseAsync;

        Assert.Equal(("pqr", 3), (reply.Text, reply.Count));
    }

    [PythonGrpcFact]
    public async Task Chat_ToGrpcio_EachRequestAnsweredAtOnce()
    {
        using AsyncDuplexStreamingCall<EchoRequest, EchoReply> call = python.Client.Chat(deadline: TenSeconds);
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
    public async Task Say_GrpcioAbortsWithNonAsciiMessage_CodeAndMessage()
    {
        var request = new EchoRequest { FailCode = (int)StatusCode.ResourceExhausted, FailMessage = "zu groß: 失败 100%" };

        var error = await Assert.ThrowsAsync<RpcException>(() => python.Client.SayAsync(request, deadline: TenSeconds).ResponseAsync);

        Assert.Equal((StatusCode.ResourceExhausted, "zu groß: 失败 100%"), (error.StatusCode, error.Status.Detail));
    }

    [PythonGrpcFact]
    public async Task Chat_GrpcioAbortsMidStream_ReadThrowsItsStatus()
    {
        using AsyncDuplexStreamingCall<EchoRequest, EchoReply> call = python.Client.Chat(deadline: TenSeconds);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "ok" });
        Assert.True(await call.ResponseStream.MoveNext());

        await call.RequestStream.WriteAsync(new EchoRequest { FailCode = (int)StatusCode.Aborted, FailMessage = "stop" });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal((StatusCode.Aborted, "stop"), (error.StatusCode, error.Status.Detail));
    }

    [PythonGrpcFact]
    public async Task Say_GrpcioTooSlowForDeadline_DeadlineExceededInTime()
    {
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(
            () => python.Client.SayAsync(new EchoRequest { DelayMs = 3000 }, deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 250, 2500);
    }
}
