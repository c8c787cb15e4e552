using System.Buffers;
using System.Buffers.Binary;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>
/// The gRPC length-prefixed message: 1 byte compressed flag, 4 bytes big-endian length, then the bytes.
/// </summary>
internal static class MessageFrame
{
    public const int HeaderSize = 5;

    /// <summary>
    /// Finds the first complete frame in <paramref name="buffer"/>. The length prefix is checked against
    /// <paramref name="maxSize"/> before any payload is awaited, so a bogus prefix never makes a caller buffer
    /// more than the limit.
    /// </summary>
    /// <param name="buffer">The received bytes; on success, sliced to what follows the frame.</param>
    /// <param name="maxSize">The largest payload accepted, in bytes.</param>
    /// <param name="compressed">The compressed flag of the frame.</param>
    /// <param name="payload">The frame's payload.</param>
    /// <returns>False when <paramref name="buffer"/> holds no complete frame yet.</returns>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED when the prefix is over the limit, INTERNAL when the flag is not 0 or 1.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        if (header[0] > 1)
        {
            throw new RpcException(StatusCode.Internal, $"Invalid message frame: compressed flag {header[0]} (must be 0 or 1)");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxSize})");
        }

        if (buffer.Length < HeaderSize + length)
        {
            return false;
        }

        compressed = header[0] == 1;
        payload = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>Writes the 5-byte header of a frame whose payload is <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, bool compressed, int length)
    {
        WriteHeader(output.GetSpan(HeaderSize), compressed, length);
        output.Advance(HeaderSize);
    }

    /// <summary>Writes the 5-byte header of a frame into the start of <paramref name="header"/>.</summary>
    public static void WriteHeader(Span<byte> header, bool compressed, int length)
    {
        header[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..HeaderSize], (uint)length);
    }
}
