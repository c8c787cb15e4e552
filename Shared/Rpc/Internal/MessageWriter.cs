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

        MessageFrame.WriteHeader(output, compressed: false, size);
        message.WriteTo(output);
    }
}
