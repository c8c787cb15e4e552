using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DistributedTrainer.Rpc;
using Xunit;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;

namespace DistributedTrainer.Tests.Rpc;

public sealed class RpcChannelTests(EchoServerFixture server) : IClassFixture<EchoServerFixture>
{
    private RpcChannel Channel => server.Channel;

    [Fact]
    public async Task UnaryAsync_Request_ReturnsEcho()
    {
        var request = new EchoRequest { Text = "hello", Payload = ByteString.CopyFrom(1, 2, 3) };

        EchoReply reply = await Channel.UnaryAsync(EchoMethods.Say, request);

        Assert.Equal(("hello", request.Payload), (reply.Text, reply.Payload));
    }

    [Fact]
    public async Task ServerStreaming_RepeatFive_YieldsFiveRepliesInOrder()
    {
        using ServerStreamingCall<EchoReply> call = Channel.ServerStreaming(EchoMethods.Expand, new EchoRequest { Text = "x", Repeat = 5 });

        List<int> indexes = await call.ResponseStream.ReadAllAsync().Select(r => r.Index).ToListAsync();

        Assert.Equal([0, 1, 2, 3, 4], indexes);
    }

    [Fact]
    public async Task ClientStreaming_ThreeRequests_ServerCollectsAll()
    {
        using ClientStreamingCall<EchoRequest, EchoReply> call = Channel.ClientStreaming(EchoMethods.Collect);
        foreach (string text in new[] { "a", "b", "c" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text });
        }

        await call.RequestStream.CompleteAsync();
        EchoReply reply = await call.ResponseAsync;

        Assert.Equal(("abc", 3), (reply.Text, reply.Count));
    }

    [Fact]
    public async Task DuplexStreaming_WriteThenRead_EachRequestGetsItsReplyAtOnce()
    {
        using DuplexStreamingCall<EchoRequest, EchoReply> call = Channel.DuplexStreaming(EchoMethods.Chat);
        var texts = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"m{i}" });
            Assert.True(await call.ResponseStream.MoveNext());
            texts.Add(call.ResponseStream.Current.Text);
        }

        await call.RequestStream.CompleteAsync();
        bool more = await call.ResponseStream.MoveNext();

        Assert.Equal(["m0", "m1", "m2"], texts);
        Assert.False(more);
    }

    [Fact]
    public async Task DuplexStreamingRaw_WriteThenRead_CurrentIsTheSerializedReply()
    {
        using DuplexStreamingCall<EchoRequest, ReadOnlySequence<byte>> call = Channel.DuplexStreamingRaw(EchoMethods.Chat);
        var payload = ByteString.CopyFrom(Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray());
        var replies = new List<EchoReply>();
        for (int i = 0; i < 2; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"m{i}", Payload = payload });
            Assert.True(await call.ResponseStream.MoveNext());
            replies.Add(EchoReply.Parser.ParseFrom(call.ResponseStream.Current));
        }

        await call.RequestStream.CompleteAsync();
        bool more = await call.ResponseStream.MoveNext();

        Assert.Equal([new EchoReply { Text = "m0", Payload = payload }, new EchoReply { Text = "m1", Index = 1, Payload = payload }], replies);
        Assert.False(more);
    }

    [Fact]
    public async Task DuplexStreamingRaw_ServerEndsCallWithError_MoveNextThrowsServerStatus()
    {
        using DuplexStreamingCall<EchoRequest, ReadOnlySequence<byte>> call = Channel.DuplexStreamingRaw(EchoMethods.Chat);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "ok" });
        await call.RequestStream.WriteAsync(new EchoRequest { FailCode = (int)StatusCode.PermissionDenied, FailMessage = "no" });
        Assert.True(await call.ResponseStream.MoveNext());

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal((StatusCode.PermissionDenied, "no"), (error.StatusCode, error.Detail));
    }

    [Fact]
    public async Task DuplexStreamingRaw_ResponseOverClientLimit_ThrowsResourceExhausted()
    {
        using var channel = new RpcChannel(server.Host.Address, new RpcChannelOptions { MaxReceiveMessageSize = 1000 });
        using DuplexStreamingCall<EchoRequest, ReadOnlySequence<byte>> call = channel.DuplexStreamingRaw(EchoMethods.Chat);
        await call.RequestStream.WriteAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[2000]) });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void DuplexStreamingRaw_UnaryMethod_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => Channel.DuplexStreamingRaw(EchoMethods.Say));
    }

    [Fact]
    public async Task DuplexStreaming_ReadBeforeAnyWrite_RequestReachesTheServerEveryTime()
    {
        // The HTTP/2 handler holds request headers back until the body is flushed; a call that only reads must still be sent.
        var router = new GrpcRouter();
        router.AddService(new GrpcServiceBuilder(EchoReflection.Descriptor.Services[0])
            .Unary<EchoRequest, EchoReply>("Say", (request, _) => Task.FromResult(new EchoReply())).Build());
        await using GrpcHost host = await GrpcHost.StartAsync(router);
        var codes = new List<StatusCode>();

        for (int i = 0; i < 50; i++)
        {
            using var channel = new RpcChannel(host.Address);
            using DuplexStreamingCall<EchoRequest, EchoReply> call = channel.DuplexStreaming(EchoMethods.Chat, CallOptions.WithTimeout(TimeSpan.FromSeconds(5)));
            codes.Add((await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext())).StatusCode);
        }

        Assert.All(codes, code => Assert.Equal(StatusCode.Unimplemented, code));
    }

    [Fact]
    public async Task UnaryAsync_WithDeadline_ServerSeesIt()
    {
        EchoReply reply = await Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "d" }, CallOptions.WithTimeout(TimeSpan.FromSeconds(5)));

        Assert.InRange(reply.DeadlineLeftMs, 3000, 5000);
    }

    [Fact]
    public async Task UnaryAsync_WithoutDeadline_ServerSeesNone()
    {
        EchoReply reply = await Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "n" });

        Assert.Equal(-1, reply.DeadlineLeftMs);
    }

    [Fact]
    public async Task UnaryAsync_DeadlinePassesWhileServerWaits_ThrowsDeadlineExceededInTime()
    {
        var request = new EchoRequest { Text = "slow-unary", DelayMs = 10_000 };
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Say, request, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 250, 3000);
    }

    [Fact]
    public async Task UnaryAsync_DeadlinePasses_ServerHandlerIsCancelled()
    {
        var request = new EchoRequest { Text = "slow-observed", DelayMs = 10_000 };

        await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Say, request, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(200))));
        Task<DateTime> seen = server.Echo.CancellationSeen("slow-observed");

        Assert.Same(seen, await Task.WhenAny(seen, Task.Delay(5000)));
    }

    [Fact]
    public async Task UnaryAsync_DeadlineAlreadyPassed_ThrowsDeadlineExceeded()
    {
        var options = new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(-1));

        var error = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Say, new EchoRequest(), options));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_DeadlinePassesBetweenMessages_ReadThrowsDeadlineExceeded()
    {
        using ServerStreamingCall<EchoReply> call = Channel.ServerStreaming(
            EchoMethods.Expand, new EchoRequest { Text = "slow-stream", Repeat = 100, DelayMs = 100 }, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(350)));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.ReadAllAsync().CountAsync());

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_CancelledByCaller_ThrowsCancelled()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var error = await Assert.ThrowsAsync<RpcException>(
            () => Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "cancel-unary", DelayMs = 10_000 }, new CallOptions(CancellationToken: cts.Token)));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_CancelledByCaller_ServerHandlerIsCancelled()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<RpcException>(
            () => Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "cancel-observed", DelayMs = 10_000 }, new CallOptions(CancellationToken: cts.Token)));
        Task<DateTime> seen = server.Echo.CancellationSeen("cancel-observed");

        Assert.Same(seen, await Task.WhenAny(seen, Task.Delay(5000)));
    }

    [Fact]
    public async Task DuplexStreaming_DisposedMidCall_ServerHandlerIsCancelled()
    {
        DuplexStreamingCall<EchoRequest, EchoReply> call = Channel.DuplexStreaming(EchoMethods.Chat);
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "dispose-observed", DelayMs = 10_000 });
        await Task.Delay(100);

        call.Dispose();
        Task<DateTime> seen = server.Echo.CancellationSeen("dispose-observed");

        Assert.Same(seen, await Task.WhenAny(seen, Task.Delay(5000)));
    }

    [Fact]
    public async Task ServerStreaming_RequestMetadata_ComesBackInResponseHeaders()
    {
        var headers = new Metadata().Add("x-echo", "ping");
        using ServerStreamingCall<EchoReply> call = Channel.ServerStreaming(EchoMethods.Expand, new EchoRequest { Repeat = 1 }, new CallOptions(Headers: headers));

        Metadata responseHeaders = await call.ResponseHeadersAsync;

        Assert.Equal("ping", responseHeaders.GetValue("x-echo-header"));
    }

    [Fact]
    public async Task ServerStreaming_RequestMetadata_ComesBackInTrailers()
    {
        var headers = new Metadata().Add("x-echo", "ping").Add("x-echo-bin", [0, 255, 7]);
        using ServerStreamingCall<EchoReply> call = Channel.ServerStreaming(EchoMethods.Expand, new EchoRequest { Repeat = 2 }, new CallOptions(Headers: headers));

        await call.ResponseStream.ReadAllAsync().CountAsync();
        Metadata trailers = call.GetTrailers();

        Assert.Equal("ping", trailers.GetValue("x-echo-trailer"));
        Assert.Equal([0, 255, 7], trailers.GetValueBytes("x-echo-bin"));
    }

    [Fact]
    public async Task UnaryAsync_RequestMetadata_ReachesHandler()
    {
        EchoReply reply = await Channel.UnaryAsync(EchoMethods.Say, new EchoRequest(), new CallOptions(Headers: new Metadata().Add("x-echo", "seen")));

        Assert.Equal("seen", reply.EchoHeader);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, "Invalid beta1: 1.2 (must be in [0, 1))")]
    [InlineData(StatusCode.FailedPrecondition, "Schritt 3: größer als 1 µs — 失败 ✓ 100% done")]
    [InlineData(StatusCode.NotFound, "")]
    [InlineData(StatusCode.Unauthenticated, "line\r\nbreak and %41 literal")]
    public async Task UnaryAsync_HandlerThrowsStatus_ClientGetsCodeAndMessage(StatusCode code, string message)
    {
        var request = new EchoRequest { FailCode = (int)code, FailMessage = message };

        var error = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Say, request));

        Assert.Equal((code, message), (error.StatusCode, error.Detail));
    }

    [Fact]
    public async Task UnaryAsync_HandlerThrowsStatus_TrailersComeWithTheException()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { FailCode = (int)StatusCode.Aborted }));

        Assert.Equal("yes", error.Trailers.GetValue("x-fail-trailer"));
    }

    [Fact]
    public async Task UnaryAsync_HandlerThrowsUnexpectedException_UnknownWithoutItsText()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "throw" }));

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.DoesNotContain("secret", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerStreaming_ErrorAfterMessages_MessagesThenStatus()
    {
        using ServerStreamingCall<EchoReply> call = Channel.ServerStreaming(
            EchoMethods.Expand, new EchoRequest { Repeat = 3, FailCode = (int)StatusCode.DataLoss, FailMessage = "lost" });
        int received = 0;

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
                received++;
            }
        });

        Assert.Equal((3, StatusCode.DataLoss, "lost"), (received, error.StatusCode, error.Detail));
    }

    [Fact]
    public async Task DuplexStreaming_ServerEndsCallWithError_WriteReportsServerStatus()
    {
        using DuplexStreamingCall<EchoRequest, EchoReply> call = Channel.DuplexStreaming(EchoMethods.Chat);
        await call.RequestStream.WriteAsync(new EchoRequest { FailCode = (int)StatusCode.PermissionDenied, FailMessage = "no" });

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                await call.RequestStream.WriteAsync(new EchoRequest { Text = "more" });
                await Task.Delay(10);
            }
        });

        Assert.Equal((StatusCode.PermissionDenied, "no"), (error.StatusCode, error.Detail));
    }

    [Fact]
    public async Task ClientStreaming_ServerEndsCallWithError_ResponseHasServerStatus()
    {
        using ClientStreamingCall<EchoRequest, EchoReply> call = Channel.ClientStreaming(EchoMethods.Collect);
        await call.RequestStream.WriteAsync(new EchoRequest { FailCode = (int)StatusCode.OutOfRange, FailMessage = "too far" });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal((StatusCode.OutOfRange, "too far"), (error.StatusCode, error.Detail));
    }

    [Fact]
    public async Task UnaryAsync_NoServerListening_ThrowsUnavailable()
    {
        using var channel = new RpcChannel(new Uri($"http://127.0.0.1:{UnusedPort()}"));

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Say, new EchoRequest()));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task DuplexStreaming_NoServerListening_WriteThrowsUnavailable()
    {
        using var channel = new RpcChannel(new Uri($"http://127.0.0.1:{UnusedPort()}"));
        using DuplexStreamingCall<EchoRequest, EchoReply> call = channel.DuplexStreaming(EchoMethods.Chat);

        var error = await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new EchoRequest()));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_ResponseOverClientLimit_ThrowsResourceExhausted()
    {
        using var channel = new RpcChannel(server.Host.Address, new RpcChannelOptions { MaxReceiveMessageSize = 1000 });
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[2000]) };

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Say, request));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_RequestOverServerLimit_ThrowsResourceExhausted()
    {
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[EchoServerFixture.MaxMessageSize + 1]) };

        var error = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(EchoMethods.Say, request));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_RequestOverClientSendLimit_ThrowsResourceExhausted()
    {
        using var channel = new RpcChannel(server.Host.Address, new RpcChannelOptions { MaxSendMessageSize = 100 });

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Payload = ByteString.CopyFrom(new byte[200]) }));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_GzipRequests_ServerDecompresses()
    {
        using var channel = new RpcChannel(server.Host.Address, new RpcChannelOptions { CompressRequests = true });
        byte[] payload = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 7)).ToArray();

        EchoReply reply = await channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Payload = ByteString.CopyFrom(payload) });

        Assert.Equal(payload, reply.Payload.ToByteArray());
    }

    [Fact]
    public async Task ClientStreaming_GzipRequests_ServerDecompressesEach()
    {
        using var channel = new RpcChannel(server.Host.Address, new RpcChannelOptions { CompressRequests = true });
        using ClientStreamingCall<EchoRequest, EchoReply> call = channel.ClientStreaming(EchoMethods.Collect);
        for (int i = 0; i < 4; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = "z", Payload = ByteString.CopyFrom(new byte[10_000]) });
        }

        await call.RequestStream.CompleteAsync();
        EchoReply reply = await call.ResponseAsync;

        Assert.Equal((4, 40_000), (reply.Count, reply.Payload.Length));
    }

    [Fact]
    public async Task UnaryAsync_MoreConcurrentCallsThanStreamsPerConnection_AllSucceed()
    {
        Task<EchoReply>[] calls = Enumerable.Range(0, 150)
            .Select(i => Channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = $"c{i}", DelayMs = 300 }, CallOptions.WithTimeout(TimeSpan.FromSeconds(20))))
            .ToArray();

        EchoReply[] replies = await Task.WhenAll(calls);

        Assert.Equal(150, replies.Select(r => r.Text).Distinct().Count());
    }

    [Fact]
    public void UnaryAsync_StreamingMethod_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => Channel.ServerStreaming(EchoMethods.Say, new EchoRequest()));
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
