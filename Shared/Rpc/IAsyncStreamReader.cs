namespace DistributedTrainer.Rpc;

/// <summary>Reads the messages of a stream one at a time (the request stream on a server, the response stream on a client).</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IAsyncStreamReader<out T>
{
    /// <summary>The message the last successful <see cref="MoveNext"/> read.</summary>
    T Current { get; }

    /// <summary>Reads the next message into <see cref="Current"/>.</summary>
    /// <returns>False at the end of the stream.</returns>
    /// <exception cref="RpcException">The call failed (on a client: the status the server sent).</exception>
    Task<bool> MoveNext(CancellationToken cancellationToken = default);
}
