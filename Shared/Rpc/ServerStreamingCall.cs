namespace DistributedTrainer.Rpc;

/// <summary>A server-streaming call in flight. Dispose it: disposing an unfinished call cancels it.</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class ServerStreamingCall<TResponse> : IDisposable
{
    private readonly Func<Task<Metadata>> _headers;
    private readonly Func<Metadata> _trailers;
    private readonly Action _dispose;

    internal ServerStreamingCall(IAsyncStreamReader<TResponse> responseStream, Func<Task<Metadata>> headers, Func<Metadata> trailers, Action dispose)
    {
        ResponseStream = responseStream;
        _headers = headers;
        _trailers = trailers;
        _dispose = dispose;
    }

    /// <summary>The responses; reading past the last one throws <see cref="RpcException"/> unless the status is OK.</summary>
    public IAsyncStreamReader<TResponse> ResponseStream { get; }

    /// <summary>The response metadata the server sent with its headers.</summary>
    public Task<Metadata> ResponseHeadersAsync => _headers();

    /// <summary>The trailing metadata, once the response stream was read to its end.</summary>
    /// <exception cref="InvalidOperationException">The call has not ended yet.</exception>
    public Metadata GetTrailers() => _trailers();

    /// <inheritdoc />
    public void Dispose() => _dispose();
}
