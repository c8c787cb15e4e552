using System.Buffers;
using Google.Protobuf;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>Writes length-prefixed messages into a pipe (the caller flushes).</summary>
internal static class MessageWriter
{
    /// <summary>Writes one frame holding <paramref name="message"/>, gzip-compressed when <paramref name="compress"/>.</summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the message is larger than <paramref name="maxSize"/> bytes.</exception>
    public static void Write(IBufferWriter<byte> output, IMessage message, int maxSize, bool compress)
    {
        int size = message.CalculateSize();
        if (size > maxSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {maxSize})");
        }

        if (compress)
        {
            byte[] compressed = GzipCodec.Compress(message.ToByteArray());
            MessageFrame.WriteHeader(output, compressed: true, compressed.Length);
            output.Write(compressed);
            return;
        }

        // One contiguous span for the whole frame: a pipe then hands the transport one large write per message
        // (the HTTP/2 layer cuts it into full DATA frames) instead of one small write per 4 KiB segment that
        // protobuf would fill through IBufferWriter. Pipes rent sizes beyond their pool from ArrayPool.
        long frameSize = (long)MessageFrame.HeaderSize + size;
        if (frameSize > int.MaxValue)
        {
            MessageFrame.WriteHeader(output, compressed: false, size);
            message.WriteTo(output);
            return;
        }

        Span<byte> frame = output.GetSpan((int)frameSize)[..(int)frameSize];
        MessageFrame.WriteHeader(frame, compressed: false, size);
        message.WriteTo(frame[MessageFrame.HeaderSize..]);
        output.Advance((int)frameSize);
    }
}
