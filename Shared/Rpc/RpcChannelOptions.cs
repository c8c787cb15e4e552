using System.Net.Security;

namespace DistributedTrainer.Rpc;

/// <summary>Settings of an <see cref="RpcChannel"/>.</summary>
public sealed class RpcChannelOptions
{
    /// <summary>The largest response message accepted, in bytes, after decompression; larger ones fail the call with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest request message sent, in bytes; writing a larger one fails with RESOURCE_EXHAUSTED. Default <see cref="int.MaxValue"/> (no limit).</summary>
    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>Whether request messages are gzip-compressed (<c>grpc-encoding: gzip</c>). Default false.</summary>
    public bool CompressRequests { get; init; }

    /// <summary>Checks the server's TLS certificate (e.g. pins a self-signed one); null (the default) uses the system trust store.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>How long opening a connection may take before the call fails with UNAVAILABLE. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The HTTP handler to send requests through, e.g. an in-process test server's; the channel does not
    /// dispose it. Null (the default) makes a SocketsHttpHandler configured for gRPC.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; init; }
}
