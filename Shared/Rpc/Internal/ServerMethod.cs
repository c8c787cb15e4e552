using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>A method bound to its handler, as the router stores it.</summary>
internal abstract class ServerMethod
{
    protected ServerMethod(MethodDescriptor descriptor)
    {
        Descriptor = descriptor;
        Path = $"/{descriptor.Service.FullName}/{descriptor.Name}";
        SpanName = RpcActivity.SpanName(Path);
    }

    public MethodDescriptor Descriptor { get; }

    /// <summary>The HTTP/2 path: <c>/{package.Service}/{Method}</c>.</summary>
    public string Path { get; }

    /// <summary>The name of the call's server span: <c>package.Service/Method</c>.</summary>
    public string SpanName { get; }

    public abstract Task InvokeAsync(ServerCall call);
}

/// <summary>
/// A method of any kind, run as a duplex handler: the builder adapts unary and one-sided streaming handlers
/// to this one shape, so the call pipeline exists once.
/// </summary>
internal sealed class ServerMethod<TRequest, TResponse> : ServerMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly Method<TRequest, TResponse> _method;
    private readonly Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> _handler;

    public ServerMethod(
        Method<TRequest, TResponse> method,
        Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        : base(method.Descriptor)
    {
        _method = method;
        _handler = handler;
    }

    public override Task InvokeAsync(ServerCall call)
    {
        var reader = new RequestStreamReader<TRequest>(call, _method.RequestParser);
        bool streamingResponse = _method.Type is MethodType.ServerStreaming or MethodType.DuplexStreaming;
        var writer = new ResponseStreamWriter<TResponse>(call, flushEachMessage: streamingResponse);
        return _handler(reader, writer, call.Context);
    }

    /// <summary>Reads the one request of a unary or server-streaming call; the client must send exactly one.</summary>
    public static async Task<TRequest> ReadSingleRequestAsync(IAsyncStreamReader<TRequest> reader, CancellationToken cancellationToken)
    {
        if (!await reader.MoveNext(cancellationToken))
        {
            throw new RpcException(StatusCode.Internal, "Request stream ended without a message (expected exactly one)");
        }

        TRequest request = reader.Current;
        if (await reader.MoveNext(cancellationToken))
        {
            throw new RpcException(StatusCode.Internal, "Request stream has more than one message (expected exactly one)");
        }

        return request;
    }
}
