using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// A .npy file mapped read-only into memory: reading a row touches only that row's pages, so a process holds
/// (and the kernel reads) just the samples it gathers. Reads copy through the view's SafeBuffer, which keeps the
/// mapping alive while it reads and lets the finalizer unmap it when the data set is dropped. On Linux the mapping is
/// advised MADV_RANDOM (asking the kernel to fault in a sample's pages, not a readahead window of neighbours), and
/// <see cref="Release"/> advises MADV_DONTNEED (dropping the pages from this process's resident set; they stay in the
/// page cache). docs/BENCHMARKS.md ("Sharded data sets") measured worker peaks that these did not bound yet.
/// </summary>
internal sealed partial class MappedNpy
{
    private const int MadviseRandom = 1;
    private const int MadviseDontNeed = 4;

    // Held so the mapping's handle lives as long as its view.
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _dataOffset;

    private MappedNpy(MemoryMappedFile file, MemoryMappedViewAccessor view, NpyHeader header)
    {
        _file = file;
        _view = view;
        _dataOffset = header.DataOffset;
        Header = header;
        RowElements = header.Shape.Length <= 1 ? 1 : header.ElementCount / header.Shape[0];
    }

    /// <summary>The file's header.</summary>
    public NpyHeader Header { get; }

    /// <summary>Elements per entry of the first dimension.</summary>
    public long RowElements { get; }

    /// <summary>
    /// Maps <paramref name="path"/> after checking that its header has <paramref name="type"/> and
    /// <paramref name="shape"/> and that the file holds all of its data; errors say which and are prefixed by the caller.
    /// </summary>
    public static MappedNpy Open(string path, NpyDType type, long[] shape)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        try
        {
            var header = NpyHeader.Read(file);
            if (header.Type != type)
            {
                throw new InvalidDataException($"holds {header.Type.Name()}, the index says {type.Name()}");
            }
            if (!header.Shape.SequenceEqual(shape))
            {
                throw new InvalidDataException($"has shape ({string.Join(", ", header.Shape)}), the index says ({string.Join(", ", shape)})");
            }
            if (file.Length < header.DataOffset + header.DataLength)
            {
                throw new InvalidDataException($"is {file.Length} bytes, shorter than its header's {header.DataOffset + header.DataLength}");
            }
            var mapped = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            file = null;
            var view = new MappedNpy(mapped, mapped.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read), header);
            view.Advise(MadviseRandom);
            return view;
        }
        finally
        {
            file?.Dispose();
        }
    }

    /// <summary>
    /// destination &lt;- the first bytes of row <paramref name="row"/>, as <typeparamref name="T"/>: the file's own type,
    /// or bytes to convert.
    /// </summary>
    public void ReadRow<T>(Span<T> destination, long row)
        where T : struct
    {
        long rowBytes = RowElements * Header.Type.Size();
        if ((long)destination.Length * Unsafe.SizeOf<T>() > rowBytes)
        {
            throw new ArgumentException($"Invalid destination: {destination.Length} elements of {Unsafe.SizeOf<T>()} bytes exceed a row of {rowBytes} bytes", nameof(destination));
        }
        long offset = _dataOffset + row * rowBytes;
        _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)offset, destination);
    }

    /// <summary>
    /// Drops this file's pages from the process's resident set: a read-only file mapping loses nothing, and the next
    /// read of a page faults it back from the page cache. Safe while other threads read.
    /// </summary>
    public void Release() => Advise(MadviseDontNeed);

    private unsafe void Advise(int advice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var handle = _view.SafeMemoryMappedViewHandle;
        byte* address = null;
        handle.AcquirePointer(ref address);
        try
        {
            // Advice is a hint: a kernel that refuses it changes only the memory figures, never the data read.
            _ = Madvise(address, (nuint)handle.ByteLength, advice);
        }
        finally
        {
            handle.ReleasePointer();
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static unsafe partial int Madvise(byte* address, nuint length, int advice);
}
