using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DistributedTrainer.Reports.Images;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

/// <summary>The encoder's files decoded by hand: chunk layout, every CRC, the header and the inflated scanlines.</summary>
public class PngEncoderTests
{
    [Fact]
    public void Compute_CheckString_GivesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Encode_Pixels_DecodeBackExactly(int channels)
    {
        const int Width = 5, Height = 3;
        var pixels = Enumerable.Range(0, Width * Height * channels).Select(i => (byte)(i * 37 % 256)).ToArray();

        var png = PngEncoder.Encode(pixels, Width, Height, channels);

        var decoded = Decode(png);
        Assert.Equal((Width, Height, 8, channels == 1 ? 0 : 2), (decoded.Width, decoded.Height, decoded.BitDepth, decoded.ColourType));
        Assert.Equal(pixels, decoded.Pixels);
    }

    [Fact]
    public void Encode_PixelCountMismatch_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 3, 3, 1));

        Assert.Contains("10 bytes for 3x3x1", error.Message);
    }

    /// <summary>Decodes a PNG of unfiltered 8-bit scanlines, asserting the signature, every chunk's CRC and the chunk order.</summary>
    internal static (int Width, int Height, int BitDepth, int ColourType, byte[] Pixels) Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int at = 8;
        var types = new List<string>();
        int width = 0, height = 0, depth = 0, colour = 0;
        using var compressed = new MemoryStream();
        while (at < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.Equal(Crc32.Compute(png.AsSpan(at + 4, 4 + length)), crc);
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                depth = data[8];
                colour = data[9];
            }
            else if (type == "IDAT")
            {
                compressed.Write(data);
            }
            at += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        compressed.Position = 0;
        using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        int stride = width * (colour == 2 ? 3 : 1);
        var scanlines = raw.ToArray();
        Assert.Equal(height * (stride + 1), scanlines.Length);
        var pixels = new byte[height * stride];
        for (int row = 0; row < height; row++)
        {
            Assert.Equal(0, scanlines[row * (stride + 1)]);
            scanlines.AsSpan(row * (stride + 1) + 1, stride).CopyTo(pixels.AsSpan(row * stride));
        }
        return (width, height, depth, colour, pixels);
    }
}
