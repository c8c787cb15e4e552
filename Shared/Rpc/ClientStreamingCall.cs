namespace DistributedTrainer.Rpc;

/// <summary>A client-streaming call in flight. Dispose it: disposing an unfinished call cancels it.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class ClientStreamingCall<TRequest, TResponse> : IDisposable
{
    private readonly Func<Task<Metadata>> _headers;
    private readonly Func<Metadata> _trailers;
    private readonly Action _dispose;

    internal ClientStreamingCall(
        IClientStreamWriter<TRequest> requestStream, Task<TResponse> responseAsync, Func<Task<Metadata>> headers, Func<Metadata> trailers, Action dispose)
    {
        RequestStream = requestStream;
        ResponseAsync = responseAsync;
        _headers = headers;
        _trailers = trailers;
        _dispose = dispose;
    }

    /// <summary>The requests; call <see cref="IClientStreamWriter{T}.CompleteAsync"/> after the last one.</summary>
    public IClientStreamWriter<TRequest> RequestStream { get; }

    /// <summary>The response; faults with <see cref="RpcException"/> unless the status is OK.</summary>
    public Task<TResponse> ResponseAsync { get; }

    /// <summary>The response metadata the server sent with its headers.</summary>
    public Task<Metadata> ResponseHeadersAsync => _headers();

    /// <summary>The trailing metadata, once <see cref="ResponseAsync"/> completed.</summary>
    /// <exception cref="InvalidOperationException">The call has not ended yet.</exception>
    public Metadata GetTrailers() => _trailers();

    /// <inheritdoc />
    public void Dispose() => _dispose();
}
