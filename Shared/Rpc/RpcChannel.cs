using System.Buffers;
using System.Net;
using System.Net.Security;
using DistributedTrainer.Rpc.Internal;
using Google.Protobuf;

namespace DistributedTrainer.Rpc;

/// <summary>
/// A client connection to one gRPC server (<c>http://host:port</c> for cleartext HTTP/2,
/// <c>https://host:port</c> for TLS), shared by any number of concurrent calls. Thread-safe.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    // The largest stream window SocketsHttpHandler takes, like the server's (GrpcKestrel.StreamWindowSize).
    private const int StreamWindowSize = 16 * 1024 * 1024;

    private readonly HttpMessageInvoker _invoker;

    /// <summary>Creates a channel to <paramref name="address"/>; connections open on the first call.</summary>
    /// <exception cref="ArgumentException">The address is not an absolute http or https URI, or an option is out of range.</exception>
    public RpcChannel(Uri address, RpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Invalid address: '{address}' (must be an absolute http:// or https:// URI)", nameof(address));
        }

        Options = options ?? new RpcChannelOptions();
        if (Options.MaxReceiveMessageSize <= 0)
        {
            throw new ArgumentException($"Invalid MaxReceiveMessageSize: {Options.MaxReceiveMessageSize} (must be positive)", nameof(options));
        }

        if (Options.MaxSendMessageSize <= 0)
        {
            throw new ArgumentException($"Invalid MaxSendMessageSize: {Options.MaxSendMessageSize} (must be positive)", nameof(options));
        }

        Address = address;
        _invoker = Options.HttpHandler is { } handler
            ? new HttpMessageInvoker(handler, disposeHandler: false)
            : new HttpMessageInvoker(CreateHandler(Options), disposeHandler: true);
    }

    /// <summary>The server's address.</summary>
    public Uri Address { get; }

    /// <summary>The channel's settings.</summary>
    public RpcChannelOptions Options { get; }

    internal HttpMessageInvoker Invoker => _invoker;

    /// <summary>Runs a unary call.</summary>
    /// <exception cref="RpcException">The call ended with a status other than OK.</exception>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        CheckType(method, MethodType.Unary);
        ArgumentNullException.ThrowIfNull(request);
        using var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(request);
        return await call.ReadSingleResponseAsync();
    }

    /// <summary>Starts a server-streaming call; read its <see cref="ServerStreamingCall{TResponse}.ResponseStream"/> and dispose it.</summary>
    public ServerStreamingCall<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        CheckType(method, MethodType.ServerStreaming);
        ArgumentNullException.ThrowIfNull(request);
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(request);
        return new ServerStreamingCall<TResponse>(call, call.GetResponseHeadersAsync, call.GetTrailers, call.Dispose);
    }

    /// <summary>Starts a client-streaming call; write its request stream, complete it, then await the response.</summary>
    public ClientStreamingCall<TRequest, TResponse> ClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        CheckType(method, MethodType.ClientStreaming);
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(null);
        return new ClientStreamingCall<TRequest, TResponse>(call, call.ReadSingleResponseAsync(), call.GetResponseHeadersAsync, call.GetTrailers, call.Dispose);
    }

    /// <summary>Starts a bidirectional-streaming call; requests and responses flow independently.</summary>
    public DuplexStreamingCall<TRequest, TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        CheckType(method, MethodType.DuplexStreaming);
        var call = new ClientCall<TRequest, TResponse>(this, method, options);
        call.Start(null);
        return new DuplexStreamingCall<TRequest, TResponse>(call, call, call.GetResponseHeadersAsync, call.GetTrailers, call.Dispose);
    }

    /// <summary>
    /// Starts a bidirectional-streaming call whose responses are read as their serialized bytes, not parsed: a caller
    /// that moves large <c>bytes</c> fields copies them from where they were received straight into buffers of its
    /// own, instead of the fresh array per message that <c>ByteString</c> parsing allocates (the client-side
    /// counterpart of <see cref="GrpcServiceBuilder.ClientStreamingRaw{TResponse}"/>).
    /// </summary>
    /// <remarks>
    /// <see cref="IAsyncStreamReader{T}.Current"/> holds the message's bytes (decompressed when the server compressed
    /// it) until the next <see cref="IAsyncStreamReader{T}.MoveNext"/>, a request write that fails (it reads on to
    /// the status), or the call's disposal; it holds the stream's flow-control window meanwhile. Limits, deadlines and
    /// statuses are those of <see cref="DuplexStreaming{TRequest, TResponse}"/>.
    /// </remarks>
    public DuplexStreamingCall<TRequest, ReadOnlySequence<byte>> DuplexStreamingRaw<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        CheckType(method, MethodType.DuplexStreaming);
        var call = new ClientCall<TRequest, TResponse>(this, method, options, rawResponses: true);
        call.Start(null);
        return new DuplexStreamingCall<TRequest, ReadOnlySequence<byte>>(call, new RawResponseReader<TRequest, TResponse>(call),
            call.GetResponseHeadersAsync, call.GetTrailers, call.Dispose);
    }

    /// <summary>Closes the connections; calls in flight fail.</summary>
    public void Dispose() => _invoker.Dispose();

    private static void CheckType<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType expected)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Type != expected)
        {
            throw new ArgumentException($"Invalid call of {method.FullName}: it is {method.Type}, not {expected}", nameof(method));
        }
    }

    private static SocketsHttpHandler CreateHandler(RpcChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // Kestrel allows 100 streams per connection; without more connections the 101st call waits forever.
            EnableMultipleHttp2Connections = true,

            // grpcio servers answer frequent pings on idle streams with GOAWAY too_many_pings.
            KeepAlivePingDelay = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.ConnectTimeout,

            // Large response streams: the 64 KiB default makes the server wait for a window update every few
            // frames on loopback, where the handler's window scaling (driven by round-trip time) barely grows.
            InitialHttp2StreamWindowSize = StreamWindowSize,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
            UseCookies = false,

            // Cluster traffic goes straight to its peer; an HTTP proxy from the environment would break h2c.
            UseProxy = false,

            // Each call sends the trace context of its own client span (RpcDiagnostics), which covers the whole
            // call; the handler's would name a span that ends at the response headers and is rarely recorded.
            ActivityHeadersPropagator = null,
        };
        handler.SslOptions.ApplicationProtocols = [SslApplicationProtocol.Http2];
        if (options.ServerCertificateValidation is { } validation)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validation;
        }

        return handler;
    }
}
