using System.Net;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>
/// The request body of a client- or duplex-streaming call: hands the HTTP/2 request stream to the call, which
/// writes messages into it, and holds the body open until the call completes the request stream.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StreamingRequestContent()
    {
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
    }

    /// <summary>Completes when the handler has sent the request headers and opened the body.</summary>
    public Task<Stream> Stream => _stream.Task;

    /// <summary>Ends the body: the handler sends END_STREAM after what was written.</summary>
    public void Complete() => _complete.TrySetResult();

    /// <summary>Fails the body, so the handler resets the stream instead of ending it cleanly.</summary>
    public void Abort() => _complete.TrySetCanceled();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // The HTTP/2 handler holds the request headers back until the body's first flush; without this a call
        // that reads before it writes may never reach the server.
        await stream.FlushAsync(cancellationToken);
        _stream.TrySetResult(stream);

        // The handler cancels this token when the stream is reset or the call aborted.
        await _complete.Task.WaitAsync(cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        _complete.TrySetResult();
        base.Dispose(disposing);
    }
}
