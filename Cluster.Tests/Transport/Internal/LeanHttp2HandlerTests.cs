using System.Net;
using System.Net.Sockets;
using DistributedTrainer.Tests.Transport.Echo;
using DistributedTrainer.Transport;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using EchoRpc = DistributedTrainer.Tests.Transport.Echo.Echo;
using Xunit;

namespace DistributedTrainer.Tests.Transport.Internal;

/// <summary>gRPC calls through a channel with <see cref="GrpcChannelSettings.LargeResponseStreams"/> to the project's own Kestrel hosting.</summary>
public sealed class LeanHttp2HandlerTests
{
    private static readonly GrpcChannelSettings Lean = new() { LargeResponseStreams = true };

    [Fact]
    public async Task Expand_MegabyteMessages_EachArrivesWholeAndInOrder()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);
        byte[] payload = new byte[1024 * 1024];
        new Random(7).NextBytes(payload);

        using AsyncServerStreamingCall<EchoReply> call = new EchoRpc.EchoClient(channel).Expand(
            new EchoRequest { Text = "big", Repeat = 24, Payload = ByteString.CopyFrom(payload) });
        var indexes = new List<int>();
        await foreach (EchoReply reply in call.ResponseStream.ReadAllAsync())
        {
            Assert.True(reply.Payload.Span.SequenceEqual(payload), $"reply {reply.Index} differs from the payload sent");
            indexes.Add(reply.Index);
        }

        Assert.Equal(Enumerable.Range(0, 24), indexes);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Say_MegabyteRequest_ArrivesWholeBeyondTheFirstWindow()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);
        byte[] payload = new byte[1024 * 1024];
        new Random(5).NextBytes(payload);

        EchoReply reply = await new EchoRpc.EchoClient(channel).SayAsync(new EchoRequest { Text = "x", Payload = ByteString.CopyFrom(payload) });

        Assert.True(reply.Payload.Span.SequenceEqual(payload), "the echoed payload differs from the one sent");
    }

    [Fact]
    public async Task Chat_TwentyMegabyteMessagesOneByOne_EachAnswerFollowsItsRequest()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);
        byte[] payload = new byte[1024 * 1024];
        new Random(6).NextBytes(payload);

        using AsyncDuplexStreamingCall<EchoRequest, EchoReply> call = new EchoRpc.EchoClient(channel).Chat();
        for (int i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"m{i}", Payload = ByteString.CopyFrom(payload) });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"m{i}", call.ResponseStream.Current.Text);
            Assert.Equal(i, call.ResponseStream.Current.Index);
            Assert.True(call.ResponseStream.Current.Payload.Span.SequenceEqual(payload), $"answer {i} differs from the payload sent");
        }
        await call.RequestStream.CompleteAsync();

        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Say_MetadataSent_HeadersAndTrailersComeBack()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);

        using AsyncUnaryCall<EchoReply> call = new EchoRpc.EchoClient(channel).SayAsync(new EchoRequest { Text = "hi" },
            new Metadata { { "x-echo", "ping-1" }, { "x-echo-bin", new byte[] { 0, 1, 255 } } });
        EchoReply reply = await call;
        Metadata headers = await call.ResponseHeadersAsync;

        Assert.Equal("hi", reply.Text);
        Assert.Equal("ping-1", reply.EchoHeader);
        Assert.Equal("ping-1", headers.GetValue("x-echo-header"));
        Assert.Equal("ping-1", call.GetTrailers().GetValue("x-echo-trailer"));
        Assert.Equal(new byte[] { 0, 1, 255 }, call.GetTrailers().GetValueBytes("x-echo-bin"));
    }

    [Fact]
    public async Task Expand_ServerFailsAfterThreeReplies_CallerGetsTheRepliesThenTheStatusAndTrailer()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);

        using AsyncServerStreamingCall<EchoReply> call = new EchoRpc.EchoClient(channel).Expand(
            new EchoRequest { Text = "x", Repeat = 3, FailCode = (int)StatusCode.PermissionDenied, FailMessage = "not yours" });
        int replies = 0;
        RpcException failure = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (EchoReply reply in call.ResponseStream.ReadAllAsync())
            {
                replies++;
            }
        });

        Assert.Equal(3, replies);
        Assert.Equal(StatusCode.PermissionDenied, failure.StatusCode);
        Assert.Equal("not yours", failure.Status.Detail);
        Assert.Equal("yes", failure.Trailers.GetValue("x-fail-trailer"));
    }

    [Fact]
    public async Task Say_ServerFailsAtOnce_TrailersOnlyAnswerGivesTheStatus()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);

        RpcException failure = await Assert.ThrowsAsync<RpcException>(async () => await new EchoRpc.EchoClient(channel).SayAsync(
            new EchoRequest { Text = "x", FailCode = (int)StatusCode.FailedPrecondition, FailMessage = "not now" }));

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Equal("not now", failure.Status.Detail);
    }

    [Fact]
    public async Task Say_NothingListens_Unavailable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using GrpcChannel channel = GrpcChannels.Create(new Uri($"http://127.0.0.1:{port}"), Lean);

        RpcException failure = await Assert.ThrowsAsync<RpcException>(async () => await new EchoRpc.EchoClient(channel).SayAsync(new EchoRequest { Text = "x" }));

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Contains($"127.0.0.1:{port}", failure.Status.Detail + failure.Status.DebugException?.Message);
    }

    [Fact]
    public async Task Expand_CallerCancelsWhileWaiting_CancelledAtBothEnds()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);
        using var cancel = new CancellationTokenSource();

        using AsyncServerStreamingCall<EchoReply> call = new EchoRpc.EchoClient(channel).Expand(
            new EchoRequest { Text = "slow", Repeat = 2, DelayMs = 30_000 }, cancellationToken: cancel.Token);
        Task<bool> next = call.ResponseStream.MoveNext(CancellationToken.None);
        await Task.Delay(200);
        cancel.Cancel();

        RpcException failure = await Assert.ThrowsAsync<RpcException>(() => next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(StatusCode.Cancelled, failure.StatusCode);
        await server.Echo.CancellationSeen("slow").WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Expand_DeadlinePassesWhileWaiting_DeadlineExceeded()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);

        using AsyncServerStreamingCall<EchoReply> call = new EchoRpc.EchoClient(channel).Expand(
            new EchoRequest { Text = "late", Repeat = 1, DelayMs = 30_000 }, deadline: DateTime.UtcNow.AddMilliseconds(300));

        RpcException failure = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(StatusCode.DeadlineExceeded, failure.StatusCode);
    }

    [Fact]
    public async Task Expand_ServerStopsMidStream_CallEndsWithAFailureInsteadOfWaiting()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using GrpcChannel channel = server.Channel(Lean);
        using AsyncServerStreamingCall<EchoReply> call = new EchoRpc.EchoClient(channel).Expand(
            new EchoRequest { Text = "long", Repeat = 1000, DelayMs = 50 });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        Task stop = server.StopAsync();
        RpcException failure = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)))
            {
            }
        });
        await stop;

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
    }
}
