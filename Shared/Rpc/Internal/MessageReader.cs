using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>Reads length-prefixed messages from a pipe: the request body on a server, the response body on a client.</summary>
internal static class MessageReader
{
    /// <summary>Reads and parses the next message.</summary>
    /// <param name="reader">The body.</param>
    /// <param name="parser">Parses the payload.</param>
    /// <param name="maxSize">The largest message accepted, in bytes, before and after decompression.</param>
    /// <param name="encoding">The <c>grpc-encoding</c> of the stream (null for identity); must be supported.</param>
    /// <param name="cancellationToken">Cancels the wait for data.</param>
    /// <returns>The message, or null at a clean end of the stream.</returns>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED for an oversized message, INTERNAL for a malformed one.</exception>
    public static async ValueTask<T?> ReadAsync<T>(
        PipeReader reader, MessageParser<T> parser, int maxSize, string? encoding, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        RawMessage message = await ReadRawAsync(reader, maxSize, encoding, cancellationToken);
        if (message.IsEnd)
        {
            return null;
        }

        try
        {
            return Parse(parser, message.Payload);
        }
        finally
        {
            if (message.Consumed is { } consumed)
            {
                reader.AdvanceTo(consumed);
            }
        }
    }

    /// <summary>
    /// Reads the next message without parsing it: its serialized bytes where they lie in the pipe, so a large
    /// <c>bytes</c> field is not copied into a fresh array. The frame stays in the pipe until the caller advances
    /// <paramref name="reader"/> to <see cref="RawMessage.Consumed"/>; a compressed message is decompressed into a
    /// fresh array and its frame released at once (no position to advance to).
    /// </summary>
    /// <returns>The message, or <see cref="RawMessage.End"/> at a clean end of the stream.</returns>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED for an oversized message, INTERNAL for a malformed frame.</exception>
    public static async ValueTask<RawMessage> ReadRawAsync(PipeReader reader, int maxSize, string? encoding, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (MessageFrame.TryRead(ref buffer, maxSize, out bool compressed, out ReadOnlySequence<byte> payload))
            {
                if (!compressed)
                {
                    return new RawMessage(payload, buffer.Start);
                }

                try
                {
                    return new RawMessage(new ReadOnlySequence<byte>(Decompress(payload, maxSize, encoding)), null);
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start);
                }
            }

            if (result.IsCompleted)
            {
                long buffered = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (buffered == 0)
                {
                    return RawMessage.End;
                }

                throw new RpcException(StatusCode.Internal, $"Incomplete message: the stream ended {buffered} bytes into a frame");
            }

            // Mark everything examined so the pipe waits for more bytes (and reopens the flow-control window).
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Parses a message's payload (as <see cref="ReadRawAsync"/> gives it).</summary>
    /// <exception cref="RpcException">INTERNAL when the payload is not a <typeparamref name="T"/>.</exception>
    public static T Parse<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload)
        where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, $"Failed to parse {typeof(T).Name}: {e.Message}");
        }
    }

    private static byte[] Decompress(ReadOnlySequence<byte> payload, int maxSize, string? encoding)
    {
        if (encoding is null || encoding.Equals(GrpcProtocol.Identity, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(StatusCode.Internal, "Compressed message received but grpc-encoding is identity");
        }

        return GzipCodec.Decompress(payload, maxSize);
    }
}
