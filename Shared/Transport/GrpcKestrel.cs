using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DistributedTrainer.Transport;

/// <summary>The Kestrel settings gRPC needs (see docs: grpc-on-kestrel notes).</summary>
public static class GrpcKestrel
{
    /// <summary>HTTP/2 flow-control window of one stream: 16 MiB (the default 768 KiB halves large-stream throughput).</summary>
    public const int StreamWindowSize = 16 * 1024 * 1024;

    /// <summary>HTTP/2 flow-control window of one connection: 32 MiB.</summary>
    public const int ConnectionWindowSize = 32 * 1024 * 1024;

    /// <summary>
    /// The largest HTTP/2 frame payload Kestrel accepts, and so the largest it sends to a client that allows as much
    /// (Kestrel sends frames no larger than its own limit, whatever the client's SETTINGS_MAX_FRAME_SIZE; the default
    /// 16 KiB cuts a 1 MiB ring piece into 64 frames, each read apart by the client). Half of Kestrel's default
    /// request buffer (1 MiB), which must hold a whole received frame before Kestrel parses it.
    /// </summary>
    public const int MaxFrameSize = 512 * 1024;

    /// <summary>
    /// Lifts the limits that break long gRPC streams: no request body size limit (the 30 MB default counts a
    /// whole client stream), no minimum data rates (the default resets a stream idle for about 5 s), and
    /// enlarged HTTP/2 windows.
    /// </summary>
    public static KestrelServerOptions ApplyGrpcLimits(this KestrelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Limits.MaxRequestBodySize = null;
        options.Limits.MinRequestBodyDataRate = null;
        options.Limits.MinResponseDataRate = null;
        options.Limits.Http2.InitialStreamWindowSize = StreamWindowSize;
        options.Limits.Http2.InitialConnectionWindowSize = ConnectionWindowSize;
        options.Limits.Http2.MaxFrameSize = MaxFrameSize;
        return options;
    }

    /// <summary>
    /// Makes an endpoint speak HTTP/2 only: cleartext h2c with prior knowledge when <paramref name="certificate"/>
    /// is null (Http1AndHttp2 without TLS silently speaks HTTP/1.1 only), else TLS with ALPN "h2".
    /// </summary>
    /// <param name="listen">The endpoint.</param>
    /// <param name="certificate">The server certificate, with its private key; null for cleartext.</param>
    public static ListenOptions UseGrpcProtocols(this ListenOptions listen, X509Certificate2? certificate = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Protocols = HttpProtocols.Http2;
        if (certificate is not null)
        {
            listen.UseHttps(certificate);
        }

        return listen;
    }
}
