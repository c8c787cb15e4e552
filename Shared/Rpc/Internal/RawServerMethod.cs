using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>
/// A client-streaming method whose handler reads the request messages as raw bytes
/// (<see cref="RawMessageReader"/>) and answers with one parsed response message.
/// </summary>
internal sealed class RawServerMethod<TResponse> : ServerMethod
    where TResponse : class, IMessage<TResponse>
{
    private readonly Func<RawMessageReader, ServerCallContext, Task<TResponse>> _handler;

    public RawServerMethod(MethodDescriptor descriptor, Func<RawMessageReader, ServerCallContext, Task<TResponse>> handler)
        : base(descriptor)
    {
        _handler = handler;
    }

    public override async Task InvokeAsync(ServerCall call)
    {
        TResponse response = await _handler(new RawMessageReader(call), call.Context);
        await new ResponseStreamWriter<TResponse>(call, flushEachMessage: false).WriteAsync(response, call.CancellationToken);
    }
}
