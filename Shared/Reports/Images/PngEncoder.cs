using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DistributedTrainer.Reports.Images;

/// <summary>
/// Writes 8-bit grey or RGB pixels as a PNG file: signature, IHDR, one zlib-compressed IDAT of unfiltered scanlines,
/// IEND (PNG specification, 2nd edition). Hand-written because the numerics library carries no imaging package; the
/// format needs only zlib (System.IO.Compression) and CRC-32.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// pixels (height, width, channels) row-major, channels 1 (grey) or 3 (RGB) -> the PNG file's bytes.
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"Invalid channels: {channels} (must be 1 or 3)", nameof(channels));
        }
        int stride = checked(width * channels);
        if (pixels.Length != checked(stride * height))
        {
            throw new ArgumentException($"Invalid pixels: {pixels.Length} bytes for {width}x{height}x{channels}", nameof(pixels));
        }

        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;                               // bit depth
        header[9] = (byte)(channels == 1 ? 0 : 2);   // colour type: grey or truecolour
        header[10] = 0;                              // compression: deflate
        header[11] = 0;                              // filter method 0
        header[12] = 0;                              // no interlace
        WriteChunk(output, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int row = 0; row < height; row++)
            {
                zlib.WriteByte(0); // filter type None
                zlib.Write(pixels.Slice(row * stride, stride));
            }
        }
        WriteChunk(output, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    // length (big-endian), type, data, CRC-32 of type and data.
    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(typeBytes), data));
        output.Write(word);
    }
}
