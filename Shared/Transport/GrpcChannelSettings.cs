using System.Net.Security;

namespace DistributedTrainer.Transport;

/// <summary>Settings of a channel from <see cref="GrpcChannels"/>.</summary>
public sealed class GrpcChannelSettings
{
    /// <summary>The largest response message accepted, in bytes; larger ones fail the call with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest request message sent, in bytes; null (the default): no limit.</summary>
    public int? MaxSendMessageSize { get; init; }

    /// <summary>Checks the server's TLS certificate (e.g. pins a self-signed one); null (the default) uses the system trust store.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>How long opening a connection may take before the call fails with UNAVAILABLE. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The HTTP handler to send requests through (e.g. an in-process test server's); the channel does not dispose it. Null (the default): a <see cref="System.Net.Http.SocketsHttpHandler"/> set up for gRPC.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }
}
