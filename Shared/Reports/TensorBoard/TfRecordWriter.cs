using System.Buffers.Binary;

namespace DistributedTrainer.Reports.TensorBoard;

/// <summary>
/// Writes TFRecord framing: per record the length (uint64, little-endian), the masked CRC-32C of those 8
/// bytes, the data, and the masked CRC-32C of the data (both CRCs uint32, little-endian).
/// </summary>
internal sealed class TfRecordWriter(Stream stream) : IDisposable
{
    private const int LengthSize = sizeof(ulong);
    private const int CrcSize = sizeof(uint);

    /// <summary>Appends one record holding <paramref name="data"/>.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[LengthSize + CrcSize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[LengthSize..], Crc32C.Mask(Crc32C.Compute(header[..LengthSize])));
        Span<byte> footer = stackalloc byte[CrcSize];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Mask(Crc32C.Compute(data)));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    /// <summary>Pushes buffered records to the file (and to disk), so a reader sees them now.</summary>
    public void Flush()
    {
        if (stream is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }
        else
        {
            stream.Flush();
        }
    }

    public void Dispose() => stream.Dispose();
}
