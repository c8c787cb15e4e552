using System.Net;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>The status a client reports when HTTP, not gRPC, ended the call (the gRPC spec's mapping tables).</summary>
internal static class StatusMapping
{
    /// <summary>A non-200 HTTP status without <c>grpc-status</c>.</summary>
    public static StatusCode FromHttpStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => StatusCode.Internal,
        HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
        HttpStatusCode.NotFound => StatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>A stream reset by the peer with an HTTP/2 error code.</summary>
    public static StatusCode FromHttp2ErrorCode(long errorCode) => errorCode switch
    {
        0x7 => StatusCode.Unavailable, // REFUSED_STREAM
        0x8 => StatusCode.Cancelled, // CANCEL
        0xB => StatusCode.ResourceExhausted, // ENHANCE_YOUR_CALM
        0xC => StatusCode.PermissionDenied, // INADEQUATE_SECURITY
        _ => StatusCode.Internal,
    };

    /// <summary>A transport failure: connection refused or lost, TLS failure, reset stream.</summary>
    public static CallStatus FromTransportException(Exception exception, Uri address)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException protocol)
            {
                return CallStatus.Of(FromHttp2ErrorCode(protocol.ErrorCode), $"Stream reset by the peer: HTTP/2 error 0x{protocol.ErrorCode:X}");
            }
        }

        return exception is HttpRequestException
            ? CallStatus.Of(StatusCode.Unavailable, $"Error connecting to {address}: {exception.Message}")
            : CallStatus.Of(StatusCode.Unavailable, $"Connection to {address} failed: {exception.Message}");
    }
}
