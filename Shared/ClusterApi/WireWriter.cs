namespace DistributedTrainer.ClusterApi;

/// <summary>
/// Writes protobuf wire-format fields by hand, for the few messages written straight from the vectors they carry
/// instead of through a message object (<see cref="WireReader"/> reads them back): a <c>bytes</c> field then goes
/// from the vector into the transport's buffer in one copy, without an intermediate array or ByteString.
/// </summary>
public static class WireWriter
{
    /// <summary>The largest encoding of a tag or varint, in bytes.</summary>
    public const int MaxVarintBytes = 10;

    /// <summary>Bytes of the base-128 varint of <paramref name="value"/>.</summary>
    public static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    /// <summary>Bytes of a length-delimited field of <paramref name="length"/> bytes, tag and length included.</summary>
    public static int LengthDelimitedSize(int field, int length) =>
        VarintSize(Tag(field, WireReader.LengthDelimited)) + VarintSize((ulong)length) + length;

    /// <summary>Bytes of a varint field, tag included.</summary>
    public static int VarintFieldSize(int field, ulong value) => VarintSize(Tag(field, WireReader.Varint)) + VarintSize(value);

    /// <summary>Writes <paramref name="value"/> as a base-128 varint at the start of <paramref name="destination"/>.</summary>
    /// <returns>The bytes written.</returns>
    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        int written = 0;
        while (value >= 0x80)
        {
            destination[written++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[written++] = (byte)value;
        return written;
    }

    /// <summary>Writes a varint field (tag and value).</summary>
    /// <returns>The bytes written.</returns>
    public static int WriteVarintField(Span<byte> destination, int field, ulong value)
    {
        int written = WriteVarint(destination, Tag(field, WireReader.Varint));
        return written + WriteVarint(destination[written..], value);
    }

    /// <summary>Writes the tag and length of a length-delimited field; its <paramref name="length"/> bytes follow.</summary>
    /// <returns>The bytes written.</returns>
    public static int WriteLengthPrefix(Span<byte> destination, int field, int length)
    {
        int written = WriteVarint(destination, Tag(field, WireReader.LengthDelimited));
        return written + WriteVarint(destination[written..], (ulong)length);
    }

    private static ulong Tag(int field, int wireType) => ((ulong)field << 3) | (uint)wireType;
}
