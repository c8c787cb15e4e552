using System.Buffers;
using System.IO.Pipelines;
using DistributedTrainer.Rpc.Internal;

namespace DistributedTrainer.Rpc;

/// <summary>
/// The request messages of a raw-payload server call (<see cref="GrpcServiceBuilder.ClientStreamingRaw{TResponse}"/>):
/// each message's serialized protobuf bytes where they lie in the request body, not parsed into a message
/// object. A handler that moves large <c>bytes</c> fields reads them straight into buffers of its own (pooled,
/// say) instead of the fresh array per message that <c>ByteString</c> parsing allocates.
/// </summary>
/// <remarks>
/// <see cref="Current"/> stays valid until the next <see cref="MoveNextAsync"/> or the end of the handler; it
/// holds the body's flow-control window until then. The frame checks are those of parsed calls: a message over
/// the server's <see cref="GrpcServerOptions.MaxReceiveMessageSize"/> ends the call with RESOURCE_EXHAUSTED, a bad
/// frame or a body cut inside a frame with INTERNAL; gzip-compressed messages are decompressed (into a fresh
/// array, bounded by the same limit).
/// </remarks>
public sealed class RawMessageReader
{
    private readonly ServerCall _call;
    private readonly PipeReader _body;
    private SequencePosition? _consumed;
    private ReadOnlySequence<byte> _current;
    private bool _hasCurrent;
    private int _reading;

    internal RawMessageReader(ServerCall call)
    {
        _call = call;
        _body = call.Http.Request.BodyReader;
    }

    /// <summary>The serialized bytes of the message the last <see cref="MoveNextAsync"/> reached.</summary>
    /// <exception cref="InvalidOperationException">No message was read yet, or the stream has ended.</exception>
    public ReadOnlySequence<byte> Current => _hasCurrent ? _current : throw new InvalidOperationException("No message was read yet");

    /// <summary>Releases the previous message and waits for the next one.</summary>
    /// <returns>False at the clean end of the request stream.</returns>
    /// <exception cref="RpcException">The message is oversized (RESOURCE_EXHAUSTED) or the framing is broken (INTERNAL).</exception>
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) == 1)
        {
            throw new InvalidOperationException("A read is already in progress; await each MoveNextAsync before the next");
        }

        try
        {
            _hasCurrent = false;
            _current = default;
            if (_consumed is { } consumed)
            {
                _consumed = null;
                _body.AdvanceTo(consumed);
            }

            using CancellationTokenSource? linked = _call.NeedsLink(cancellationToken)
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _call.CancellationToken)
                : null;
            return await ReadAsync(linked?.Token ?? _call.CancellationToken);
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    private async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        int maxSize = _call.Options.MaxReceiveMessageSize;
        while (true)
        {
            ReadResult result = await _body.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool framed;
            bool compressed;
            ReadOnlySequence<byte> payload;
            try
            {
                framed = MessageFrame.TryRead(ref buffer, maxSize, out compressed, out payload);
            }
            catch
            {
                _body.AdvanceTo(result.Buffer.Start);
                throw;
            }

            if (framed)
            {
                if (compressed)
                {
                    // Decompressed bytes do not live in the pipe: the frame is released at once.
                    try
                    {
                        _current = new ReadOnlySequence<byte>(Decompress(payload, maxSize));
                    }
                    finally
                    {
                        _body.AdvanceTo(buffer.Start);
                    }
                }
                else
                {
                    _consumed = buffer.Start;
                    _current = payload;
                }

                _hasCurrent = true;
                return true;
            }

            if (result.IsCompleted)
            {
                long buffered = buffer.Length;
                _body.AdvanceTo(buffer.End);
                if (buffered == 0)
                {
                    return false;
                }

                throw new RpcException(StatusCode.Internal, $"Incomplete message: the stream ended {buffered} bytes into a frame");
            }

            // Mark everything examined so the pipe waits for more bytes (and reopens the flow-control window).
            _body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private byte[] Decompress(ReadOnlySequence<byte> payload, int maxSize)
    {
        string? encoding = _call.RequestEncoding;
        if (encoding is null || encoding.Equals(GrpcProtocol.Identity, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(StatusCode.Internal, "Compressed message received but grpc-encoding is identity");
        }

        return GzipCodec.Decompress(payload, maxSize);
    }
}
