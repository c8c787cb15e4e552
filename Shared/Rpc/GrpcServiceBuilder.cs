using DistributedTrainer.Rpc.Internal;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Rpc;

/// <summary>
/// Binds the methods of a protoc-generated service to handlers. Method names, kinds and message types are
/// checked against the descriptor; a method left unbound answers UNIMPLEMENTED.
/// </summary>
/// <example>
/// <code>
/// GrpcServiceDefinition echo = new GrpcServiceBuilder(EchoReflection.Descriptor.Services[0])
///     .Unary&lt;EchoRequest, EchoReply&gt;("Say", (request, context) =&gt; Task.FromResult(new EchoReply { Text = request.Text }))
///     .Build();
/// </code>
/// </example>
public sealed class GrpcServiceBuilder
{
    private readonly ServiceDescriptor _service;
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);

    /// <summary>Starts a definition of <paramref name="service"/> (from the generated <c>XxxReflection.Descriptor.Services</c>).</summary>
    public GrpcServiceBuilder(ServiceDescriptor service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _service = service;
    }

    /// <summary>Binds a unary method.</summary>
    /// <exception cref="ArgumentException">No such method, it is not unary, its types differ, or it is already bound.</exception>
    public GrpcServiceBuilder Unary<TRequest, TResponse>(string methodName, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Bind<TRequest, TResponse>(methodName, MethodType.Unary, async (requests, responses, context) =>
        {
            TRequest request = await ServerMethod<TRequest, TResponse>.ReadSingleRequestAsync(requests, context.CancellationToken);
            TResponse response = await handler(request, context);
            await responses.WriteAsync(response, context.CancellationToken);
        });
    }

    /// <summary>Binds a server-streaming method.</summary>
    /// <exception cref="ArgumentException">No such method, it is not server streaming, its types differ, or it is already bound.</exception>
    public GrpcServiceBuilder ServerStreaming<TRequest, TResponse>(
        string methodName, Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Bind<TRequest, TResponse>(methodName, MethodType.ServerStreaming, async (requests, responses, context) =>
        {
            TRequest request = await ServerMethod<TRequest, TResponse>.ReadSingleRequestAsync(requests, context.CancellationToken);
            await handler(request, responses, context);
        });
    }

    /// <summary>Binds a client-streaming method.</summary>
    /// <exception cref="ArgumentException">No such method, it is not client streaming, its types differ, or it is already bound.</exception>
    public GrpcServiceBuilder ClientStreaming<TRequest, TResponse>(
        string methodName, Func<IAsyncStreamReader<TRequest>, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Bind<TRequest, TResponse>(methodName, MethodType.ClientStreaming, async (requests, responses, context) =>
        {
            TResponse response = await handler(requests, context);
            await responses.WriteAsync(response, context.CancellationToken);
        });
    }

    /// <summary>
    /// Binds a client-streaming method whose handler reads the request messages unparsed
    /// (<see cref="RawMessageReader"/>): for messages with large <c>bytes</c> fields that the handler copies
    /// into buffers of its own. On the wire the method is the same; clients send ordinary messages.
    /// </summary>
    /// <exception cref="ArgumentException">No such method, it is not client streaming, its response type differs, or it is already bound.</exception>
    public GrpcServiceBuilder ClientStreamingRaw<TResponse>(string methodName, Func<RawMessageReader, ServerCallContext, Task<TResponse>> handler)
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        MethodDescriptor descriptor = FindMethod(methodName);
        if (!descriptor.IsClientStreaming || descriptor.IsServerStreaming)
        {
            throw new ArgumentException($"Invalid binding of /{_service.FullName}/{descriptor.Name}: it is not ClientStreaming", nameof(methodName));
        }

        if (descriptor.OutputType.ClrType != typeof(TResponse))
        {
            throw new ArgumentException(
                $"Invalid response type for /{_service.FullName}/{descriptor.Name}: {typeof(TResponse).Name} (the descriptor says {descriptor.OutputType.FullName})",
                nameof(methodName));
        }

        var method = new RawServerMethod<TResponse>(descriptor, handler);
        if (!_methods.TryAdd(method.Path, method))
        {
            throw new ArgumentException($"Invalid binding of {method.Path}: already bound", nameof(methodName));
        }

        return this;
    }

    /// <summary>Binds a bidirectional-streaming method.</summary>
    /// <exception cref="ArgumentException">No such method, it is not duplex, its types differ, or it is already bound.</exception>
    public GrpcServiceBuilder DuplexStreaming<TRequest, TResponse>(
        string methodName, Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Bind<TRequest, TResponse>(methodName, MethodType.DuplexStreaming, handler);
    }

    /// <summary>The service with the methods bound so far.</summary>
    public GrpcServiceDefinition Build() => new(_service, [.. _methods.Values]);

    private GrpcServiceBuilder Bind<TRequest, TResponse>(
        string methodName,
        MethodType expected,
        Func<IAsyncStreamReader<TRequest>, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var method = new Method<TRequest, TResponse>(FindMethod(methodName));
        if (method.Type != expected)
        {
            throw new ArgumentException($"Invalid binding of {method.FullName}: it is {method.Type}, not {expected}", nameof(methodName));
        }

        if (!_methods.TryAdd(method.FullName, new ServerMethod<TRequest, TResponse>(method, handler)))
        {
            throw new ArgumentException($"Invalid binding of {method.FullName}: already bound", nameof(methodName));
        }

        return this;
    }

    private MethodDescriptor FindMethod(string methodName) =>
        _service.FindMethodByName(methodName)
            ?? throw new ArgumentException($"Invalid method name: '{methodName}' (service {_service.FullName} has no such method)", nameof(methodName));
}
