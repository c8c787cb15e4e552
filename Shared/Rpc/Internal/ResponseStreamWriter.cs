using System.IO.Pipelines;
using Google.Protobuf;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>The response messages of a server call, written to the HTTP/2 response body.</summary>
internal sealed class ResponseStreamWriter<T> : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    private readonly ServerCall _call;
    private readonly bool _flushEachMessage;
    private int _writing;

    /// <param name="call">The call.</param>
    /// <param name="flushEachMessage">Whether to flush after each message (streaming responses); a single response is flushed with the status.</param>
    public ResponseStreamWriter(ServerCall call, bool flushEachMessage)
    {
        _call = call;
        _flushEachMessage = flushEachMessage;
    }

    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Interlocked.Exchange(ref _writing, 1) == 1)
        {
            throw new InvalidOperationException("A write is already in progress; await each WriteAsync before the next");
        }

        try
        {
            _call.CancellationToken.ThrowIfCancellationRequested();
            cancellationToken.ThrowIfCancellationRequested();
            _call.PrepareResponseHeaders();
            PipeWriter body = _call.Http.Response.BodyWriter;
            MessageWriter.Write(body, message, _call.Options.MaxSendMessageSize, compress: false);
            _call.MessageWritten = true;
            if (_flushEachMessage)
            {
                using CancellationTokenSource? linked = _call.NeedsLink(cancellationToken)
                    ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _call.CancellationToken)
                    : null;
                await body.FlushAsync(linked?.Token ?? _call.CancellationToken);
            }
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }
}
