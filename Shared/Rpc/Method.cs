using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Rpc;

/// <summary>
/// A typed gRPC method, read from the file descriptor protoc generated (e.g.
/// <c>EchoReflection.Descriptor.Services[0].Methods[0]</c>): its path <c>/{package.Service}/{Method}</c>,
/// its call kind and the parsers of its messages.
/// </summary>
/// <typeparam name="TRequest">The generated request message type.</typeparam>
/// <typeparam name="TResponse">The generated response message type.</typeparam>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    /// <summary>Creates the method of <paramref name="descriptor"/>.</summary>
    /// <exception cref="ArgumentException">The message types of the descriptor are not <typeparamref name="TRequest"/> and <typeparamref name="TResponse"/>.</exception>
    public Method(MethodDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.InputType.ClrType != typeof(TRequest) || descriptor.OutputType.ClrType != typeof(TResponse))
        {
            throw new ArgumentException(
                $"Invalid message types for {descriptor.FullName}: {typeof(TRequest).Name} -> {typeof(TResponse).Name} " +
                $"(the descriptor says {descriptor.InputType.FullName} -> {descriptor.OutputType.FullName})",
                nameof(descriptor));
        }

        Descriptor = descriptor;
        FullName = $"/{descriptor.Service.FullName}/{descriptor.Name}";
        Type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (true, false) => MethodType.ClientStreaming,
            (false, true) => MethodType.ServerStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };

        // The generated code hands the descriptor its static MessageParser<T>; the cast only recovers the type.
        RequestParser = (MessageParser<TRequest>)descriptor.InputType.Parser;
        ResponseParser = (MessageParser<TResponse>)descriptor.OutputType.Parser;
    }

    /// <summary>The method descriptor it was built from.</summary>
    public MethodDescriptor Descriptor { get; }

    /// <summary>The HTTP/2 path: <c>/{package.Service}/{Method}</c>.</summary>
    public string FullName { get; }

    /// <summary>The call kind.</summary>
    public MethodType Type { get; }

    /// <summary>Parses request messages.</summary>
    public MessageParser<TRequest> RequestParser { get; }

    /// <summary>Parses response messages.</summary>
    public MessageParser<TResponse> ResponseParser { get; }

    /// <inheritdoc />
    public override string ToString() => FullName;
}
