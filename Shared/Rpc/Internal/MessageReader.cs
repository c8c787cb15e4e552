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
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (MessageFrame.TryRead(ref buffer, maxSize, out bool compressed, out ReadOnlySequence<byte> payload))
            {
                try
                {
                    return Parse(parser, payload, compressed, maxSize, encoding);
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
                    return null;
                }

                throw new RpcException(StatusCode.Internal, $"Incomplete message: the stream ended {buffered} bytes into a frame");
            }

            // Mark everything examined so the pipe waits for more bytes (and reopens the flow-control window).
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static T Parse<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload, bool compressed, int maxSize, string? encoding)
        where T : class, IMessage<T>
    {
        try
        {
            if (!compressed)
            {
                return parser.ParseFrom(payload);
            }

            if (encoding is null || encoding.Equals(GrpcProtocol.Identity, StringComparison.OrdinalIgnoreCase))
            {
                throw new RpcException(StatusCode.Internal, "Compressed message received but grpc-encoding is identity");
            }

            return parser.ParseFrom(GzipCodec.Decompress(payload, maxSize));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, $"Failed to parse {typeof(T).Name}: {e.Message}");
        }
    }
}
