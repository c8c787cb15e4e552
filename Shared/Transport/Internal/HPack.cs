using System.Text;

namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// The part of HPACK (RFC 7541) that <see cref="LeanHttp2Handler"/> needs: header blocks written as literals (no
/// table, no Huffman coding), and header blocks read from a peer that was told the client's dynamic table holds
/// nothing (SETTINGS_HEADER_TABLE_SIZE 0), so every reference is to the static table.
/// </summary>
internal static class HPack
{
    // RFC 7541 appendix A: the static table, index 1 to 61 (name, value).
    private static readonly (string Name, string Value)[] StaticTable =
    [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    /// <summary>Appends one header as a literal without indexing and with a literal name (RFC 7541 6.2.2).</summary>
    /// <param name="block">The header block being written.</param>
    /// <param name="name">The header's name, lower case as HTTP/2 requires.</param>
    /// <param name="value">The header's value.</param>
    public static void WriteLiteral(List<byte> block, string name, string value)
    {
        block.Add(0x00);
        WriteString(block, name);
        WriteString(block, value);
    }

    /// <summary>Reads a header block into (name, value) pairs.</summary>
    /// <exception cref="InvalidDataException">The block is malformed, refers to a dynamic table entry, resizes the
    /// dynamic table above zero or holds a Huffman-coded string.</exception>
    public static List<KeyValuePair<string, string>> Read(ReadOnlySpan<byte> block)
    {
        var headers = new List<KeyValuePair<string, string>>();
        int at = 0;
        while (at < block.Length)
        {
            byte first = block[at];
            if ((first & 0x80) != 0)
            {
                // Indexed header field (6.1).
                (string name, string value) = Static(ReadInteger(block, ref at, 7));
                headers.Add(new(name, value));
            }
            else if ((first & 0xE0) == 0x20)
            {
                // Dynamic table size update (6.3): the table was set to hold nothing, so only 0 is allowed.
                int size = ReadInteger(block, ref at, 5);
                if (size != 0)
                {
                    throw new InvalidDataException($"HPACK: dynamic table size update to {size} (this client allows 0)");
                }
            }
            else
            {
                // A literal (6.2.1 with incremental indexing: the entry is larger than the empty table, so nothing
                // is kept; 6.2.2 without indexing; 6.2.3 never indexed).
                int prefixBits = (first & 0xC0) == 0x40 ? 6 : 4;
                int nameIndex = ReadInteger(block, ref at, prefixBits);
                string name = nameIndex == 0 ? ReadString(block, ref at) : Static(nameIndex).Name;
                headers.Add(new(name, ReadString(block, ref at)));
            }
        }
        return headers;
    }

    private static (string Name, string Value) Static(int index) =>
        index >= 1 && index <= StaticTable.Length
            ? StaticTable[index - 1]
            : throw new InvalidDataException($"HPACK: header index {index} is not in the static table (this client keeps no dynamic table)");

    // RFC 7541 5.1: an integer in an N-bit prefix, continued in 7-bit groups.
    private static void WriteInteger(List<byte> block, byte flags, int prefixBits, int value)
    {
        int max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.Add((byte)(flags | value));
            return;
        }
        block.Add((byte)(flags | max));
        value -= max;
        while (value >= 0x80)
        {
            block.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }
        block.Add((byte)value);
    }

    private static int ReadInteger(ReadOnlySpan<byte> block, ref int at, int prefixBits)
    {
        int max = (1 << prefixBits) - 1;
        int value = block[at++] & max;
        if (value < max)
        {
            return value;
        }
        for (int shift = 0; ; shift += 7)
        {
            if (at >= block.Length)
            {
                throw new InvalidDataException("HPACK: an integer runs past the end of the header block");
            }
            if (shift > 21)
            {
                throw new InvalidDataException("HPACK: an integer is larger than this client reads");
            }
            byte next = block[at++];
            value += (next & 0x7F) << shift;
            if ((next & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static void WriteString(List<byte> block, string text)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        WriteInteger(block, 0x00, 7, bytes.Length);
        block.AddRange(bytes);
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int at)
    {
        if (at >= block.Length)
        {
            throw new InvalidDataException("HPACK: a string is missing at the end of the header block");
        }
        if ((block[at] & 0x80) != 0)
        {
            throw new InvalidDataException("HPACK: a Huffman-coded string (this client reads plain strings only)");
        }
        int length = ReadInteger(block, ref at, 7);
        if (length > block.Length - at)
        {
            throw new InvalidDataException($"HPACK: a string of {length} bytes runs past the end of the header block");
        }
        string text = Encoding.Latin1.GetString(block.Slice(at, length));
        at += length;
        return text;
    }
}
