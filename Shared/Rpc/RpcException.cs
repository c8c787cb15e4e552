namespace DistributedTrainer.Rpc;

/// <summary>
/// A call that ended with a status other than <see cref="StatusCode.OK"/>. Handlers throw it to return a
/// status; clients receive it when a call fails.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="statusCode"/> and <paramref name="detail"/>.</summary>
    /// <param name="statusCode">The gRPC status code.</param>
    /// <param name="detail">The status message (sent as <c>grpc-message</c>); any Unicode text.</param>
    /// <param name="trailers">Metadata sent with the status; none when null.</param>
    public RpcException(StatusCode statusCode, string detail, Metadata? trailers = null)
        : base($"Status {statusCode}: {detail}")
    {
        StatusCode = statusCode;
        Detail = detail;
        Trailers = trailers ?? new Metadata();
    }

    /// <summary>The gRPC status code.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The status message.</summary>
    public string Detail { get; }

    /// <summary>The trailing metadata that came with the status (empty when none).</summary>
    public Metadata Trailers { get; }
}
