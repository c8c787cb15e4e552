namespace DistributedTrainer.Rpc.Internal;

/// <summary>Header names and values of the gRPC over HTTP/2 protocol.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string TeHeader = "te";
    public const string TeTrailers = "trailers";
    public const string Identity = "identity";
    public const string Gzip = "gzip";

    /// <summary>What this implementation decompresses; sent as <c>grpc-accept-encoding</c>.</summary>
    public const string AcceptEncodingValue = "identity,gzip";

    public const string UserAgent = "distributedtrainer-rpc/1.0";

    /// <summary>The gRPC default maximum size of a received message: 4 MiB.</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>Whether <paramref name="contentType"/> is <c>application/grpc</c>, <c>application/grpc+proto</c> or similar.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';';
    }

    /// <summary>Whether messages in <paramref name="encoding"/> can be decompressed here (null means identity).</summary>
    public static bool IsSupportedEncoding(string? encoding) =>
        encoding is null
        || encoding.Equals(Identity, StringComparison.OrdinalIgnoreCase)
        || encoding.Equals(Gzip, StringComparison.OrdinalIgnoreCase);
}
