using System.Collections.Concurrent;
using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>The test.v1.Echo service as the tests serve it; records which calls saw their cancellation.</summary>
internal sealed class EchoService
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<DateTime>> _cancelled = new(StringComparer.Ordinal);

    public GrpcServiceDefinition Definition => new GrpcServiceBuilder(EchoReflection.Descriptor.Services[0])
        .Unary<EchoRequest, EchoReply>("Say", SayAsync)
        .ServerStreaming<EchoRequest, EchoReply>("Expand", ExpandAsync)
        .ClientStreaming<EchoRequest, EchoReply>("Collect", CollectAsync)
        .DuplexStreaming<EchoRequest, EchoReply>("Chat", ChatAsync)
        .Build();

    /// <summary>Completes (with the time) when the handler of the call whose request text is <paramref name="text"/> saw its token cancelled.</summary>
    public Task<DateTime> CancellationSeen(string text) => Observer(text).Task;

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
            throw new RpcException((StatusCode)request.FailCode, request.FailMessage);
        }
    }

    /// <summary>Sends request metadata "x-echo" back in the response headers and trailers, "x-echo-bin" in the trailers.</summary>
    private static string EchoMetadata(ServerCallContext context)
    {
        string? echo = context.RequestHeaders.GetValue("x-echo");
        if (echo is not null)
        {
            context.ResponseHeaders.Add("x-echo-header", echo);
            context.ResponseTrailers.Add("x-echo-trailer", echo);
        }

        if (context.RequestHeaders.GetValueBytes("x-echo-bin") is { } bytes)
        {
            context.ResponseTrailers.Add("x-echo-bin", bytes);
        }

        return echo ?? string.Empty;
    }

    private async Task<EchoReply> SayAsync(EchoRequest request, ServerCallContext context)
    {
        string echo = EchoMetadata(context);
        await DelayAsync(request, context);
        FailIfAsked(request, context);
        return new EchoReply { Text = request.Text, Payload = request.Payload, DeadlineLeftMs = DeadlineLeftMs(context), EchoHeader = echo };
    }

    private async Task ExpandAsync(EchoRequest request, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        EchoMetadata(context);
        for (int i = 0; i < request.Repeat; i++)
        {
            await DelayAsync(request, context);
            await responses.WriteAsync(new EchoReply { Text = request.Text, Index = i, Payload = request.Payload }, context.CancellationToken);
        }

        FailIfAsked(request, context);
    }

    private static async Task<EchoReply> CollectAsync(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        var reply = new EchoReply();
        var payload = new MemoryStream();
        await foreach (EchoRequest request in requests.ReadAllAsync(context.CancellationToken))
        {
            FailIfAsked(request, context);
            reply.Text += request.Text;
            reply.Count++;
            request.Payload.WriteTo(payload);
        }

        reply.Payload = ByteString.CopyFrom(payload.ToArray());
        return reply;
    }

    private async Task ChatAsync(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoReply> responses, ServerCallContext context)
    {
        int index = 0;
        await foreach (EchoRequest request in requests.ReadAllAsync(context.CancellationToken))
        {
            await DelayAsync(request, context);
            FailIfAsked(request, context);
            await responses.WriteAsync(new EchoReply { Text = request.Text, Index = index++, Payload = request.Payload }, context.CancellationToken);
        }
    }
}
