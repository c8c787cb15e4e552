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

    /// <summary>
    /// True for a channel whose calls are long streams of large messages (a ring link, a worker's Step call): over h2c
    /// each call gets a connection of its own that takes DATA frames of up to 16 MiB and reads them straight into the
    /// message, instead of SocketsHttpHandler's 16 KiB frames and two copies. A caller of a streaming call reads the
    /// response while it writes (the server's window updates come with the reads); https:// addresses keep
    /// SocketsHttpHandler. Default false.
    /// </summary>
    public bool LargeResponseStreams { get; init; }

    /// <summary>The HTTP handler to send requests through (e.g. an in-process test server's); the channel does not dispose it. Null (the default): a <see cref="System.Net.Http.SocketsHttpHandler"/> set up for gRPC.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }
}
