using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Direct;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// A call served by <see cref="DirectCall.ServeAsync"/> as the lean client sees it: messages in and out across frames
/// and windows, and every way a handler ends turned into the status Kestrel's gRPC would send. The server maps nothing
/// on Kestrel, so only the direct path can answer.
/// </summary>
public sealed class DirectCallServeTests
{
    private const string Service = "test.Direct";
    private const string EchoPath = $"/{Service}/Echo";
    private const string CallPath = $"/{Service}/Call";

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(bytes => bytes, bytes => bytes);

    [Fact]
    public async Task ServeAsync_EchoOfMoreThanTheWindow_EveryMessageBackWholeAndInOrder()
    {
        // Eight 3 MB messages: each spans frames of 512 KiB, and together twice the 16 MiB window, which the handler's
        // reads must give back for the client to go on.
        await using var server = await StartAsync(new DirectCall.Method(EchoPath, 4 * 1024 * 1024, async (call, callEnded) =>
        {
            while (await call.ReadMessageAsync(message => System.Buffers.BuffersExtensions.ToArray(message), callEnded) is (true, var message))
            {
                await call.WriteMessageAsync(0, message, callEnded);
            }
        }));
        using var channel = LeanChannel(server);
        byte[][] sent = [.. Enumerable.Range(0, 8).Select(i => Enumerable.Range(0, 3_000_000).Select(j => (byte)(i * 31 + j)).ToArray())];

        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(Method("Echo"), null, new CallOptions());
        var reading = Task.Run(async () =>
        {
            var answers = new List<byte[]>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                answers.Add(call.ResponseStream.Current);
            }
            return answers;
        });
        foreach (byte[] message in sent)
        {
            await call.RequestStream.WriteAsync(message);
        }
        await call.RequestStream.CompleteAsync();

        Assert.Equal(sent, await reading);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServeAsync_HandlerThrowsAStatusWithTrailers_ClientGetsBoth()
    {
        await using var server = await StartAsync(new DirectCall.Method(CallPath, 1024, (_, _) =>
            throw new RpcException(new Status(StatusCode.Aborted, "ring reduce-scatter failed: rank 2 left"), new Metadata { { "dt-peer-rank", "2" } })));
        using var channel = LeanChannel(server);

        var failure = await Assert.ThrowsAsync<RpcException>(() => CallAsync(channel, [1, 2, 3]));

        Assert.Equal((StatusCode.Aborted, "ring reduce-scatter failed: rank 2 left", "2"),
            (failure.StatusCode, failure.Status.Detail, failure.Trailers.GetValue("dt-peer-rank")));
    }

    [Fact]
    public async Task ServeAsync_HandlerFailsWithABug_UnknownWithoutItsMessage()
    {
        await using var server = await StartAsync(new DirectCall.Method(CallPath, 1024, (_, _) => throw new InvalidCastException("secret detail")));
        using var channel = LeanChannel(server);

        var failure = await Assert.ThrowsAsync<RpcException>(() => CallAsync(channel, [1]));

        Assert.Equal((StatusCode.Unknown, "Exception was thrown by handler."), (failure.StatusCode, failure.Status.Detail));
    }

    [Fact]
    public async Task ServeAsync_MessageOverTheLimitOrStreamEndedInsideOne_ResourceExhaustedOrInternal()
    {
        await using var server = await StartAsync(new DirectCall.Method(CallPath, 1024, async (call, callEnded) =>
        {
            while ((await call.ReadMessageAsync(message => message.Length, callEnded)).Read)
            {
            }
        }));
        using var channel = LeanChannel(server);

        var tooLarge = await Assert.ThrowsAsync<RpcException>(() => CallAsync(channel, new byte[1025]));

        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
        Assert.Contains("1025 bytes exceeds the maximum of 1024", tooLarge.Status.Detail, StringComparison.Ordinal);
        // A message of exactly the limit is read.
        await CallAsync(channel, new byte[1024]);
    }

    [Fact]
    public async Task ServeAsync_HandlerDoneBeforeTheRequest_ClientStillWritingReadsTheStatus()
    {
        // The handler answers after the first message; the client goes on writing 2 MB before it reads: its writes must
        // not fail on a connection closed under them.
        await using var server = await StartAsync(new DirectCall.Method(CallPath, 1024 * 1024, async (call, callEnded) =>
        {
            await call.ReadMessageAsync(message => message.Length, callEnded);
            throw new RpcException(new Status(StatusCode.InvalidArgument, "Invalid request: the first is enough"));
        }));
        using var channel = LeanChannel(server);

        var failure = await Assert.ThrowsAsync<RpcException>(() => CallAsync(channel, [.. Enumerable.Repeat(new byte[100_000], 20)]));

        Assert.Equal((StatusCode.InvalidArgument, "Invalid request: the first is enough"), (failure.StatusCode, failure.Status.Detail));
    }

    private static Method<byte[], byte[]> Method(string name) => new(MethodType.DuplexStreaming, Service, name, Bytes, Bytes);

    private static GrpcChannel LeanChannel(LoopbackGrpcServer server) =>
        GrpcChannels.Create(server.Address, new GrpcChannelSettings { LargeResponseStreams = true, MaxReceiveMessageSize = 8 * 1024 * 1024 });

    // Writes every message, then ends the request and reads the answers; the status as an exception when not OK.
    private static async Task CallAsync(GrpcChannel channel, params byte[][] messages)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(Method("Call"), null, new CallOptions(cancellationToken: timeout.Token));
        try
        {
            foreach (byte[] message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call before taking every message: its status comes with the answers.
        }
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }

    private static Task<LoopbackGrpcServer> StartAsync(DirectCall.Method method) =>
        LoopbackGrpcServer.StartAsync(_ => { }, app => app.MapGrpcInfrastructure(), new GrpcEndpointOptions
        {
            CleartextConnections = (next, context) => DirectCalls.Middleware(next, context, method),
        });
}
