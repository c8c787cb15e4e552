using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;

namespace DistributedTrainer.Reports.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing. SSE4.2 has an
/// instruction for it; elsewhere a byte table does the same.
/// </summary>
internal static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u;
    private const uint MaskDelta = 0xa282ead8u;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32C of <paramref name="data"/>, with the fastest path this machine has.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) =>
        Sse42.IsSupported ? ComputeSse42(data) : ComputeTable(data);

    /// <summary>
    /// The checksum TFRecord stores: rotated and offset so that a CRC of data that itself holds CRCs stays
    /// well distributed (TensorFlow's crc32c::Mask).
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    /// <summary>The byte-table path; any machine.</summary>
    internal static uint ComputeTable(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        foreach (byte value in data)
        {
            crc = Table[(crc ^ value) & 0xff] ^ (crc >> 8);
        }
        return ~crc;
    }

    /// <summary>The SSE4.2 path: 8 bytes per instruction on x64, then single bytes.</summary>
    internal static uint ComputeSse42(ReadOnlySpan<byte> data)
    {
        if (!Sse42.IsSupported)
        {
            throw new PlatformNotSupportedException("SSE4.2 is not supported on this machine.");
        }
        uint crc = uint.MaxValue;
        int index = 0;
        if (Sse42.X64.IsSupported)
        {
            ulong wide = crc;
            for (; index + sizeof(ulong) <= data.Length; index += sizeof(ulong))
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data[index..]));
            }
            crc = (uint)wide;
        }
        for (; index + sizeof(uint) <= data.Length; index += sizeof(uint))
        {
            crc = Sse42.Crc32(crc, BinaryPrimitives.ReadUInt32LittleEndian(data[index..]));
        }
        for (; index < data.Length; index++)
        {
            crc = Sse42.Crc32(crc, data[index]);
        }
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint entry = 0; entry < table.Length; entry++)
        {
            uint crc = entry;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
            }
            table[entry] = crc;
        }
        return table;
    }
}
