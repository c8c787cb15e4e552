using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using DistributedTrainer.Transport.Internal;
using Grpc.Net.Client;

namespace DistributedTrainer.Transport;

/// <summary>
/// The one way this project's processes open a <see cref="GrpcChannel"/>: the <see cref="SocketsHttpHandler"/>
/// settings that long-lived cluster streams need, and the message-size limits.
/// </summary>
public static class GrpcChannels
{
    /// <summary>
    /// The request header of a call on the lean handler (<see cref="GrpcChannelSettings.LargeResponseStreams"/>), whose
    /// connection carries that call alone: a server may serve such a connection outside its HTTP/2 stack.
    /// </summary>
    public const string SoleRequestHeader = "dt-sole-request";

    // The largest stream window SocketsHttpHandler takes, like the server's (GrpcKestrel.StreamWindowSize).
    private const int StreamWindowSize = 16 * 1024 * 1024;

    /// <summary>A channel to <paramref name="address"/> (<c>http://</c> for h2c, <c>https://</c> for TLS); connections open on the first call.</summary>
    /// <exception cref="ArgumentException">The address is not an absolute http or https URI.</exception>
    public static GrpcChannel Create(Uri address, GrpcChannelSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Invalid address: '{address}' (must be an absolute http:// or https:// URI)", nameof(address));
        }
        settings ??= new GrpcChannelSettings();
        HttpMessageHandler handler = settings.HttpHandler
            ?? (settings.LargeResponseStreams && address.Scheme == Uri.UriSchemeHttp ? new LeanHttp2Handler(settings.ConnectTimeout) : CreateHandler(settings));
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = settings.HttpHandler is null,
            MaxReceiveMessageSize = settings.MaxReceiveMessageSize,
            MaxSendMessageSize = settings.MaxSendMessageSize,
        });
    }

    private static SocketsHttpHandler CreateHandler(GrpcChannelSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            // Kestrel allows 100 streams per connection; without more connections the 101st call waits forever.
            EnableMultipleHttp2Connections = true,

            // grpcio servers answer frequent pings on idle streams with GOAWAY too_many_pings.
            KeepAlivePingDelay = Timeout.InfiniteTimeSpan,
            ConnectTimeout = settings.ConnectTimeout,

            // Large response streams: the 64 KiB default makes the server wait for a window update every few
            // frames on loopback, where the handler's window scaling (driven by round-trip time) barely grows.
            InitialHttp2StreamWindowSize = StreamWindowSize,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
            UseCookies = false,

            // Cluster traffic goes straight to its peer; an HTTP proxy from the environment would break h2c.
            UseProxy = false,
            ConnectCallback = ConnectAsync,
        };
        handler.SslOptions.ApplicationProtocols = [SslApplicationProtocol.Http2];
        if (settings.ServerCertificateValidation is { } validation)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = validation;
        }
        return handler;
    }

    // As the handler's own connect (no Nagle delay), with reads that take what has arrived in one receive; TLS, when
    // the address asks for it, goes on top.
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new ReadAheadStream(new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
