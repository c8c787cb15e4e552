using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// The header of a NumPy .npy file (format versions 1 to 3): the element type, the shape, and where the C-order
/// data starts. Written and read as numpy.save and numpy.load do, so either side may be Python.
/// </summary>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Sizes, outermost first; the first is the sample count in a shard.</param>
/// <param name="DataOffset">Byte offset of the first element (a multiple of 64 when numpy wrote the file).</param>
public sealed partial record NpyHeader(NpyDType Type, long[] Shape, long DataOffset)
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // numpy caps the header at this size when reading (allow_pickle aside); a longer one is not a data file.
    private const int MaxHeaderLength = 10_000;

    /// <summary>Number of elements: the product of <see cref="Shape"/>.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, size) => checked(product * size));

    /// <summary>Bytes of data after the header.</summary>
    public long DataLength => checked(ElementCount * Type.Size());

    /// <summary>
    /// Reads the header at the start of <paramref name="stream"/>; throws <see cref="InvalidDataException"/> saying
    /// what is wrong without quoting the file (its content goes back to a remote caller in errors).
    /// </summary>
    public static NpyHeader Read(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[12];
        int read = stream.ReadAtLeast(prefix, 10, throwOnEndOfStream: false);
        if (read < 10 || !prefix[..6].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a .npy file (no \\x93NUMPY magic)");
        }
        int major = prefix[6];
        long headerLength;
        int lengthEnd;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            lengthEnd = 10;
        }
        else if (major is 2 or 3 && read >= 12)
        {
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
            lengthEnd = 12;
        }
        else
        {
            throw new InvalidDataException($"unsupported .npy format version {major} (1, 2 and 3 are read)");
        }
        if (headerLength > MaxHeaderLength)
        {
            throw new InvalidDataException($".npy header of {headerLength} bytes (at most {MaxHeaderLength})");
        }
        stream.Position = lengthEnd;
        var header = new byte[headerLength];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length)
        {
            throw new InvalidDataException(".npy header is cut short");
        }
        return Parse(Encoding.UTF8.GetString(header), lengthEnd + headerLength);
    }

    /// <summary>The header bytes numpy.save writes for this type and shape: version 1, padded to 64 bytes.</summary>
    public static byte[] Encode(NpyDType type, ReadOnlySpan<long> shape)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray());
        string dictionary = $"{{'descr': '{type.Descriptor()}', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = 10 + dictionary.Length + 1;
        int padding = (64 - unpadded % 64) % 64;
        string text = dictionary + new string(' ', padding) + "\n";
        var bytes = new byte[10 + text.Length];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text, bytes.AsSpan(10));
        return bytes;
    }

    private static NpyHeader Parse(string dictionary, long dataOffset)
    {
        var descr = DescriptorPattern().Match(dictionary);
        if (!descr.Success || !NpyDTypes.TryParseDescriptor(descr.Groups[1].Value, out var type))
        {
            throw new InvalidDataException($".npy element type is not one of {NpyDTypes.Names} (little-endian)");
        }
        var fortran = FortranPattern().Match(dictionary);
        if (!fortran.Success || fortran.Groups[1].Value != "False")
        {
            throw new InvalidDataException(".npy data is not in C order (save with numpy.ascontiguousarray)");
        }
        var shapeMatch = ShapePattern().Match(dictionary);
        if (!shapeMatch.Success)
        {
            throw new InvalidDataException(".npy header has no readable shape");
        }
        var shape = new List<long>();
        foreach (var part in shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long size))
            {
                throw new InvalidDataException(".npy shape holds a size that is not a non-negative integer");
            }
            shape.Add(size);
        }
        return new NpyHeader(type, [.. shape], dataOffset);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescriptorPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
