namespace DistributedTrainer.Rpc.Internal;

/// <summary>The status a client call ended with.</summary>
internal sealed record CallStatus(StatusCode Code, string Detail, Metadata Trailers)
{
    public static CallStatus Of(StatusCode code, string detail) => new(code, detail, new Metadata());

    public static CallStatus Of(RpcException exception) => new(exception.StatusCode, exception.Detail, exception.Trailers);

    public RpcException ToException() => new(Code, Detail, Trailers);
}
