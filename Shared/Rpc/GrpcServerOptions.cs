namespace DistributedTrainer.Rpc;

/// <summary>Settings of a <see cref="GrpcRouter"/>.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>The largest request message accepted, in bytes, after decompression; larger ones end the call with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest response message sent, in bytes; writing a larger one fails with RESOURCE_EXHAUSTED. Default <see cref="int.MaxValue"/> (no limit).</summary>
    public int MaxSendMessageSize { get; init; } = int.MaxValue;

    /// <summary>
    /// Runs before every handler, e.g. to check a bearer token; throw <see cref="RpcException"/> (UNAUTHENTICATED)
    /// to reject the call. Null (the default) runs nothing.
    /// </summary>
    public Func<ServerCallContext, Task>? Interceptor { get; init; }
}
