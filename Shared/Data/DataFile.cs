using System.IO.Compression;

namespace DistributedTrainer.Data;

/// <summary>
/// Opens a data file for sequential reading, decompressing it when it starts with the gzip magic bytes: the
/// content decides, not the name, so a renamed file or one served without its ".gz" still reads.
/// </summary>
internal static class DataFile
{
    private const int BufferSize = 1 << 16;

    /// <summary>Opens <paramref name="path"/>; throws <see cref="FileNotFoundException"/> naming it when absent.</summary>
    public static Stream OpenRead(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"File not found: {path}", path);
        }
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
        {
            return new BufferedStream(new GZipStream(file, CompressionMode.Decompress), BufferSize);
        }
        return file;
    }

    /// <summary>Reads until <paramref name="destination"/> is full or the stream ends; returns the bytes read.</summary>
    public static int ReadFully(Stream stream, Span<byte> destination, string path)
    {
        try
        {
            return stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream ({error.Message})", error);
        }
    }
}
