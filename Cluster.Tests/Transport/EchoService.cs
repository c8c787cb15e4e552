using System.Collections.Concurrent;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;
using Grpc.Core;
using EchoRpc = DistributedTrainer.Tests.Rpc.Echo.Echo;

namespace DistributedTrainer.Tests.Transport;

/// <summary>test.v1.Echo on grpc-dotnet, as the transport tests serve it; records which calls saw their cancellation.</summary>
internal sealed class EchoService : EchoRpc.EchoBase
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<DateTime>> _cancelled = new(StringComparer.Ordinal);

    /// <summary>Completes (with the time) when the handler of the call whose request text is <paramref name="text"/> saw its token cancelled.</summary>
    public Task<DateTime> CancellationSeen(string text) => Observer(text).Task;

    public override async Task<EchoReply> Say(EchoRequest request, ServerCallContext context)
    {
        string echo = await EchoMetadataAsync(context);
        await DelayAsync(request, context);
        FailIfAsked(request, context);
        return new EchoReply { Text = request.Text, Payload = request.Payload, DeadlineLeftMs = DeadlineLeftMs(context), EchoHeader = echo };
    }

    public override async Task Expand(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        await EchoMetadataAsync(context);
        for (int i = 0; i < request.Repeat; i++)
        {
            await DelayAsync(request, context);
            await responseStream.WriteAsync(new EchoReply { Text = request.Text, Index = i, Payload = request.Payload }, context.CancellationToken);
        }
        FailIfAsked(request, context);
    }

    public override async Task<EchoReply> Collect(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        var reply = new EchoReply();
        var payload = new MemoryStream();
        await foreach (EchoRequest request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            FailIfAsked(request, context);
            reply.Text += request.Text;
            reply.Count++;
            request.Payload.WriteTo(payload);
        }
        reply.Payload = ByteString.CopyFrom(payload.ToArray());
        return reply;
    }

    public override async Task Chat(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        int index = 0;
        await foreach (EchoRequest request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await DelayAsync(request, context);
            FailIfAsked(request, context);
            await responseStream.WriteAsync(new EchoReply { Text = request.Text, Index = index++, Payload = request.Payload }, context.CancellationToken);
        }
    }

    private static long DeadlineLeftMs(ServerCallContext context) =>
        context.Deadline == DateTime.MaxValue ? -1 : (long)(context.Deadline - DateTime.UtcNow).TotalMilliseconds;

    private TaskCompletionSource<DateTime> Observer(string text) =>
        _cancelled.GetOrAdd(text, _ => new TaskCompletionSource<DateTime>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task DelayAsync(EchoRequest request, ServerCallContext context)
    {
        if (request.DelayMs <= 0)
        {
            return;
        }
        try
        {
            await Task.Delay(request.DelayMs, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            Observer(request.Text).TrySetResult(DateTime.UtcNow);
            throw;
        }
    }

    private static void FailIfAsked(EchoRequest request, ServerCallContext context)
    {
        if (request.Text == "throw")
        {
            throw new InvalidOperationException("secret internal detail");
        }
        if (request.FailCode != 0)
        {
            context.ResponseTrailers.Add("x-fail-trailer", "yes");
            throw new RpcException(new Status((StatusCode)request.FailCode, request.FailMessage));
        }
    }

    /// <summary>Sends request metadata "x-echo" back in the response headers and trailers, "x-echo-bin" in the trailers.</summary>
    private static async Task<string> EchoMetadataAsync(ServerCallContext context)
    {
        string? echo = context.RequestHeaders.GetValue("x-echo");
        if (echo is not null)
        {
            context.ResponseTrailers.Add("x-echo-trailer", echo);
            await context.WriteResponseHeadersAsync(new Metadata { { "x-echo-header", echo } });
        }
        if (context.RequestHeaders.GetValueBytes("x-echo-bin") is { } bytes)
        {
            context.ResponseTrailers.Add("x-echo-bin", bytes);
        }
        return echo ?? string.Empty;
    }
}
