namespace DistributedTrainer.Rpc;

/// <summary>Writes the request messages of a client-streaming or duplex call; each message is flushed at once.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IClientStreamWriter<in T>
{
    /// <summary>Writes and flushes one message. Writes must not overlap.</summary>
    /// <exception cref="RpcException">The call failed; when the server ended it, its status.</exception>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);

    /// <summary>Ends the request stream: the server sees its end after the last message.</summary>
    Task CompleteAsync();
}
