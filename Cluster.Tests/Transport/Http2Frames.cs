using System.Buffers.Binary;
using System.Text;

namespace DistributedTrainer.Tests.Transport;

/// <summary>HTTP/2 frames written and read byte by byte, for tests that play one end of a connection by hand.</summary>
internal static class Http2Frames
{
    /// <summary>A frame: 24-bit length, type, flags, stream id, then the payload.</summary>
    public static byte[] Frame(byte type, byte flags, int stream, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    /// <summary>An HPACK string literal: its length (7-bit prefix, no Huffman coding), then its ASCII bytes.</summary>
    public static byte[] HpackString(string text) => [(byte)text.Length, .. Encoding.ASCII.GetBytes(text)];

    /// <summary>The next frame on <paramref name="stream"/>; null when the stream ends before a frame header.</summary>
    public static async Task<ReceivedFrame?> ReadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        byte[] header = new byte[9];
        int read = await stream.ReadAtLeastAsync(header, 9, throwOnEndOfStream: false, cancellationToken);
        if (read < 9)
        {
            return null;
        }
        byte[] payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        return new ReceivedFrame(header[3], header[4], (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFF_FFFF), payload);
    }

    public sealed record ReceivedFrame(byte Type, byte Flags, int Stream, byte[] Payload);
}
