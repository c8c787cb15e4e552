using System.Diagnostics;
using DistributedTrainer.Tests.Rpc.Echo;
using Grpc.Core;
using Xunit;
using EchoRpc = DistributedTrainer.Tests.Rpc.Echo.Echo;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Deadlines, cancellation and server shutdown between a grpc-dotnet client and server hosted by the project's transport.</summary>
public sealed class DeadlineTests : IAsyncLifetime
{
    private EchoServer _server = null!;
    private Grpc.Net.Client.GrpcChannel _channel = null!;
    private EchoRpc.EchoClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await EchoServer.StartAsync();
        _channel = _server.Channel();
        _client = new EchoRpc.EchoClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Say_WithDeadline_ServerSeesIt()
    {
        EchoReply reply = await _client.SayAsync(new EchoRequest(), deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.InRange(reply.DeadlineLeftMs, 5000, 10_000);
    }

    [Fact]
    public async Task Say_WithoutDeadline_ServerSeesNone()
    {
        EchoReply reply = await _client.SayAsync(new EchoRequest());

        Assert.Equal(-1, reply.DeadlineLeftMs);
    }

    [Fact]
    public async Task Say_DeadlinePassesWhileServerWaits_DeadlineExceededInTimeAndHandlerCancelled()
    {
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _client.SayAsync(new EchoRequest { Text = "deadline", DelayMs = 10_000 }, deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);
        await _server.Echo.CancellationSeen("deadline").WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 250, 3000);
    }

    [Fact]
    public async Task Say_CancelledByCaller_CancelledAndHandlerCancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _client.SayAsync(new EchoRequest { Text = "cancel", DelayMs = 10_000 }, cancellationToken: cancel.Token).ResponseAsync);
        await _server.Echo.CancellationSeen("cancel").WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task Expand_DeadlinePassesBetweenMessages_ReadThrowsDeadlineExceeded()
    {
        using var call = _client.Expand(new EchoRequest { Repeat = 100, DelayMs = 200 }, deadline: DateTime.UtcNow.AddMilliseconds(700));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
            }
        });

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Chat_ServerStopsDuringTheCall_UnavailablePromptly()
    {
        using var call = _client.Chat();
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "open" });
        Assert.True(await call.ResponseStream.MoveNext());
        var watch = Stopwatch.StartNew();

        var stopping = _server.StopAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        await stopping;

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 0, 5000);
    }

    [Fact]
    public async Task Say_HandlerThrowsUnexpectedException_UnknownWithoutItsText()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.SayAsync(new EchoRequest { Text = "throw" }).ResponseAsync);

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.DoesNotContain("secret", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Say_MoreConcurrentCallsThanStreamsPerConnection_AllSucceed()
    {
        var calls = Enumerable.Range(0, 150)
            .Select(i => _client.SayAsync(new EchoRequest { Text = $"{i}", DelayMs = 500 }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        EchoReply[] replies = await Task.WhenAll(calls);

        Assert.Equal(150, replies.Length);
    }
}
