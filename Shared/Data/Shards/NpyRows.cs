using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// A .npy file read row by row with positional reads (pread): a gather reads just the rows it asks for, through the
/// page cache, into the caller's buffer. Unlike a memory mapping, the file's pages never count in this process's
/// resident set, so a worker's memory is its own buffers whatever the data set's size (a mapping measured 4.6 GB per
/// worker on an 8 GB data set: docs/BENCHMARKS.md, "Sharded data sets"). Thread-safe: reads carry their own offsets.
/// The handle closes when the data set is dropped (its finalizer).
/// </summary>
internal sealed class NpyRows
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly long _dataOffset;
    private readonly long _rowBytes;

    private NpyRows(SafeFileHandle handle, string path, NpyHeader header)
    {
        _handle = handle;
        _path = path;
        _dataOffset = header.DataOffset;
        Header = header;
        RowElements = header.Shape.Length <= 1 ? 1 : header.ElementCount / header.Shape[0];
        _rowBytes = RowElements * header.Type.Size();
    }

    /// <summary>The file's header.</summary>
    public NpyHeader Header { get; }

    /// <summary>Elements per entry of the first dimension.</summary>
    public long RowElements { get; }

    /// <summary>Bytes per entry of the first dimension.</summary>
    public long RowBytes => _rowBytes;

    /// <summary>
    /// Opens <paramref name="path"/> after checking that its header has <paramref name="type"/> and
    /// <paramref name="shape"/> and that the file holds all of its data; errors say which and are prefixed by the caller.
    /// </summary>
    public static NpyRows Open(string path, NpyDType type, long[] shape)
    {
        NpyHeader header;
        long length;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess))
        {
            header = NpyHeader.Read(stream);
            length = stream.Length;
        }
        if (header.Type != type)
        {
            throw new InvalidDataException($"holds {header.Type.Name()}, the index says {type.Name()}");
        }
        if (!header.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"has shape ({string.Join(", ", header.Shape)}), the index says ({string.Join(", ", shape)})");
        }
        if (length < header.DataOffset + header.DataLength)
        {
            throw new InvalidDataException($"is {length} bytes, shorter than its header's {header.DataOffset + header.DataLength}");
        }
        return new NpyRows(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess), path, header);
    }

    /// <summary>
    /// destination &lt;- the first bytes of row <paramref name="row"/>, as <typeparamref name="T"/>: the file's own type,
    /// or bytes to convert.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has shrunk since it was opened (the message names it, never its content).</exception>
    public void ReadRow<T>(Span<T> destination, long row)
        where T : unmanaged
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(destination);
        if (bytes.Length > _rowBytes)
        {
            throw new ArgumentException($"Invalid destination: {destination.Length} elements of {bytes.Length / Math.Max(1, destination.Length)} bytes exceed a row of {_rowBytes} bytes", nameof(destination));
        }
        ReadAt(bytes, row);
    }

    /// <summary>
    /// destination &lt;- rows <paramref name="firstRow"/> onward, whole rows back to back, in one positional read: a
    /// gather merges adjacent rows this way.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has shrunk since it was opened (the message names it, never its content).</exception>
    public void ReadRows(Span<byte> destination, long firstRow)
    {
        if (destination.Length % _rowBytes != 0)
        {
            throw new ArgumentException($"Invalid destination: {destination.Length} bytes are not whole rows of {_rowBytes} bytes", nameof(destination));
        }
        ReadAt(destination, firstRow);
    }

    private void ReadAt(Span<byte> bytes, long row)
    {
        long offset = _dataOffset + row * _rowBytes;
        int read = 0;
        while (read < bytes.Length)
        {
            int got = RandomAccess.Read(_handle, bytes[read..], offset + read);
            if (got == 0)
            {
                long failedRow = row + (read / _rowBytes);
                throw new InvalidDataException($"{_path}: row {failedRow} ends past the end of the file (was it truncated after it was opened?)");
            }
            read += got;
        }
    }
}
