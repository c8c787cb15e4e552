using System.Runtime.InteropServices;
using Google.Protobuf;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// Vector pieces on the wire: raw little-endian elements in a bytes field, at most <see cref="MaxPieceBytes"/> per
/// message so every message stays far below the 4 MiB standard gRPC receivers accept.
/// </summary>
public static class RawElements
{
    /// <summary>Largest payload of one piece: 1 MiB.</summary>
    public const int MaxPieceBytes = 1 << 20;

    /// <summary>Elements of <typeparamref name="T"/> per full piece.</summary>
    public static int PerPiece<T>() where T : unmanaged => MaxPieceBytes / Marshal.SizeOf<T>();

    /// <summary>The bytes of <paramref name="values"/>, copied.</summary>
    public static ByteString ToBytes<T>(ReadOnlySpan<T> values) where T : unmanaged =>
        ByteString.CopyFrom(MemoryMarshal.AsBytes(values));

    /// <summary>
    /// Sends elements [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) of
    /// <paramref name="vector"/> as pieces of at most <see cref="MaxPieceBytes"/>, in order: each is handed to
    /// <paramref name="write"/> with its offset as a slice of the vector itself (not copied), which must have
    /// serialized it when its task completes.
    /// </summary>
    public static async Task WritePiecesAsync<T>(ReadOnlyMemory<T> vector, int offset, int length, Func<long, ReadOnlyMemory<T>, Task> write)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(write);
        int perPiece = PerPiece<T>();
        for (int start = offset; start < offset + length; start += perPiece)
        {
            await write(start, vector.Slice(start, Math.Min(perPiece, offset + length - start)));
        }
    }

    /// <summary>
    /// Copies the elements in <paramref name="bytes"/> into <paramref name="vector"/> at <paramref name="offset"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not whole elements or do not fit the vector there.</exception>
    public static void CopyInto<T>(Span<T> vector, long offset, ReadOnlySpan<byte> bytes, string field) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (bytes.Length % size != 0)
        {
            throw new InvalidDataException($"Invalid {field}: {bytes.Length} bytes is not a whole number of {size}-byte elements");
        }
        int count = bytes.Length / size;
        if (offset < 0 || offset + count > vector.Length)
        {
            throw new InvalidDataException(
                $"Invalid {field}: {count} elements at offset {offset} do not fit a vector of {vector.Length}");
        }
        MemoryMarshal.Cast<byte, T>(bytes).CopyTo(vector.Slice((int)offset, count));
    }
}
