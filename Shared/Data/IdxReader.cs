using System.Buffers.Binary;

namespace DistributedTrainer.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al.): two zero bytes, a type byte, a dimension
/// count, one big-endian int32 per dimension, then the elements. Raw and gzip files are accepted (detected by
/// their first bytes). Only unsigned bytes (type 0x08) are supported: every MNIST-style data set uses them and
/// keeping them as bytes holds Fashion-MNIST in 55 MB instead of 220 MB of floats.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;
    private const int MaxDimensions = 8;

    /// <summary>Reads the whole file; throws <see cref="InvalidDataException"/> naming the file and the defect.</summary>
    public static IdxArray Read(string path)
    {
        using var stream = DataFile.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        if (DataFile.ReadFully(stream, magic, path) < 4)
        {
            throw new InvalidDataException($"{path}: not an IDX file (shorter than the 4-byte magic number)");
        }
        if (magic[0] != 0 || magic[1] != 0)
        {
            // The bytes found are not quoted: the file may not be data at all, and the message goes back to the caller.
            throw new InvalidDataException($"{path}: not an IDX file (the magic number does not start with 0x00 0x00)");
        }
        if (magic[2] != UnsignedByteType)
        {
            throw new InvalidDataException($"{path}: IDX element type is not supported (only 0x08, unsigned byte)");
        }
        int rank = magic[3];
        if (rank is 0 or > MaxDimensions)
        {
            throw new InvalidDataException($"{path}: IDX dimension count is invalid (must be 1 to {MaxDimensions})");
        }
        var dimensions = ReadDimensions(stream, rank, path);
        long total = dimensions.Aggregate(1L, (product, size) => product * size);
        if (total > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{path}: IDX dimensions [{string.Join(", ", dimensions)}] hold {total} elements (at most {Array.MaxLength} supported)");
        }
        var data = GC.AllocateUninitializedArray<byte>((int)total);
        int read = DataFile.ReadFully(stream, data, path);
        if (read < data.Length)
        {
            throw new InvalidDataException(
                $"{path}: truncated: dimensions [{string.Join(", ", dimensions)}] need {data.Length} data bytes, found {read}");
        }
        Span<byte> extra = stackalloc byte[1];
        if (DataFile.ReadFully(stream, extra, path) != 0)
        {
            throw new InvalidDataException(
                $"{path}: more data than dimensions [{string.Join(", ", dimensions)}] declare ({data.Length} bytes expected)");
        }
        return new IdxArray(dimensions, data);
    }

    private static int[] ReadDimensions(Stream stream, int rank, string path)
    {
        Span<byte> header = stackalloc byte[4 * MaxDimensions];
        header = header[..(4 * rank)];
        if (DataFile.ReadFully(stream, header, path) < header.Length)
        {
            throw new InvalidDataException($"{path}: truncated: header declares {rank} dimensions but ends before them");
        }
        var dimensions = new int[rank];
        for (int axis = 0; axis < rank; axis++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(header.Slice(4 * axis, 4));
            if (size < 0)
            {
                throw new InvalidDataException($"{path}: IDX dimension {axis} is {size} (must be >= 0)");
            }
            dimensions[axis] = size;
        }
        return dimensions;
    }
}
