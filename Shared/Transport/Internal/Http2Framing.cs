using System.Buffers.Binary;

namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// HTTP/2's frame layout (RFC 9113 4.1), the frame types and flags, and the client's connection preface, for the two
/// ends here that speak HTTP/2 themselves: the lean client (<see cref="LeanHttp2Stream"/>) and the workers' direct ring
/// streams.
/// </summary>
internal static class Http2Framing
{
    /// <summary>Length (24 bits), type, flags, stream id (31 bits).</summary>
    public const int FrameHeaderBytes = 9;

    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, PushPromise = 0x5, Ping = 0x6, GoAway = 0x7,
        WindowUpdate = 0x8, Continuation = 0x9;

    public const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, PriorityFlag = 0x20;

    /// <summary>What a client sends first on a connection (RFC 9113 3.4).</summary>
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>The fields of the frame header at the start of <paramref name="header"/> (at least <see cref="FrameHeaderBytes"/> long).</summary>
    public static (int Length, byte Type, byte Flags, int StreamId) ReadFrameHeader(ReadOnlySpan<byte> header) =>
        ((header[0] << 16) | (header[1] << 8) | header[2], header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header[5..]) & int.MaxValue);

    public static void WriteFrameHeader(Span<byte> header, int length, byte type, byte flags, int streamId)
    {
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(header[5..], streamId);
    }
}
