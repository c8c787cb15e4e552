namespace DistributedTrainer.Reports.Images;

/// <summary>
/// CRC-32 (ISO-HDLC, polynomial 0xEDB88320 reflected), the checksum of PNG chunks. Hand-written because the
/// project references no hashing package and TensorBoard's Crc32C is a different polynomial.
/// </summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/>, continuing from <paramref name="crc"/> (0 for a new checksum).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint value = ~crc;
        foreach (byte b in data)
        {
            value = Table[(value ^ b) & 0xFF] ^ (value >> 8);
        }
        return ~value;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
