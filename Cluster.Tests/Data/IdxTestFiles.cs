using System.Buffers.Binary;
using System.IO.Compression;

namespace DistributedTrainer.Tests.Data;

/// <summary>Writes small IDX files (unsigned bytes) for tests, raw or gzip-compressed.</summary>
internal static class IdxTestFiles
{
    public static byte[] Encode(int[] dimensions, byte[] data)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)dimensions.Length;
        for (int axis = 0; axis < dimensions.Length; axis++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * axis), dimensions[axis]);
        }
        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    public static string Write(string path, int[] dimensions, byte[] data, bool gzip = false)
    {
        var bytes = Encode(dimensions, data);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return path;
        }
        using var file = File.Create(path);
        using var compressed = new GZipStream(file, CompressionLevel.Fastest);
        compressed.Write(bytes);
        return path;
    }
}
