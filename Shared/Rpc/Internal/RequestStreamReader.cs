using Google.Protobuf;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>The request messages of a server call, read from the HTTP/2 request body.</summary>
internal sealed class RequestStreamReader<T> : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private readonly ServerCall _call;
    private readonly MessageParser<T> _parser;
    private T? _current;
    private int _reading;

    public RequestStreamReader(ServerCall call, MessageParser<T> parser)
    {
        _call = call;
        _parser = parser;
    }

    public T Current => _current ?? throw new InvalidOperationException("No message was read yet");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) == 1)
        {
            throw new InvalidOperationException("A read is already in progress; await each MoveNext before the next");
        }

        try
        {
            using CancellationTokenSource? linked = _call.NeedsLink(cancellationToken)
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _call.CancellationToken)
                : null;
            T? message = await MessageReader.ReadAsync(
                _call.Http.Request.BodyReader, _parser, _call.Options.MaxReceiveMessageSize, _call.RequestEncoding,
                linked?.Token ?? _call.CancellationToken);
            if (message is null)
            {
                return false;
            }

            _current = message;
            return true;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }
}
