using System.Diagnostics;
using DistributedTrainer.Tests.Transport.Echo;
using Grpc.Core;
using Xunit;
using EchoRpc = DistributedTrainer.Tests.Transport.Echo.Echo;

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
        // A call whose deadline passes before the server gets to it never reaches the handler (the server answers
        // DEADLINE_EXCEEDED itself), and then no handler sees a cancellation. With a 300 ms deadline that happened to the
        // suite's first calls on a loaded machine (one full run in several): a warmed-up server and a 2 s deadline make
        // sure the handler is waiting when the deadline passes.
        await _client.SayAsync(new EchoRequest { Text = "warm-up" });
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _client.SayAsync(new EchoRequest { Text = "deadline", DelayMs = 30_000 }, deadline: DateTime.UtcNow.AddSeconds(2)).ResponseAsync);
        await _server.Echo.CancellationSeen("deadline").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(watch.ElapsedMilliseconds, 1950, 10_000);
    }

    [Fact]
    public async Task Say_CancelledByCaller_CancelledAndHandlerCancelled()
    {
        // As above: the handler must be waiting when the caller cancels, or no handler sees it.
        await _client.SayAsync(new EchoRequest { Text = "warm-up" });
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _client.SayAsync(new EchoRequest { Text = "cancel", DelayMs = 30_000 }, cancellationToken: cancel.Token).ResponseAsync);
        await _server.Echo.CancellationSeen("cancel").WaitAsync(TimeSpan.FromSeconds(10));

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
