namespace DistributedTrainer.Rpc;

/// <summary>A bidirectional-streaming call in flight. Dispose it: disposing an unfinished call cancels it.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class DuplexStreamingCall<TRequest, TResponse> : IDisposable
{
    private readonly Func<Task<Metadata>> _headers;
    private readonly Func<Metadata> _trailers;
    private readonly Action _dispose;

    internal DuplexStreamingCall(
        IClientStreamWriter<TRequest> requestStream, IAsyncStreamReader<TResponse> responseStream, Func<Task<Metadata>> headers, Func<Metadata> trailers, Action dispose)
    {
        RequestStream = requestStream;
        ResponseStream = responseStream;
        _headers = headers;
        _trailers = trailers;
        _dispose = dispose;
    }

    /// <summary>The requests; call <see cref="IClientStreamWriter{T}.CompleteAsync"/> after the last one.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

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
