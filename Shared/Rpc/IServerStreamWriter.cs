namespace DistributedTrainer.Rpc;

/// <summary>Writes the response messages of a streaming call on the server; each message is flushed at once.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IServerStreamWriter<in T>
{
    /// <summary>Writes and flushes one message. Writes must not overlap.</summary>
    /// <exception cref="RpcException">The message is larger than the maximum send size (RESOURCE_EXHAUSTED).</exception>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
