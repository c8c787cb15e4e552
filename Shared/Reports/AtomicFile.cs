using System.Text;

namespace DistributedTrainer.Reports;

/// <summary>Writes a file so that readers see the old content or the new, never a part: temp file, flush, rename.</summary>
public static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8, no BOM).</summary>
    public static void WriteAllText(string path, string text)
    {
        string temporary = TemporaryPathFor(path);
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(new UTF8Encoding(false).GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given. When
    /// <paramref name="write"/> throws, nothing is replaced and the partial file is deleted.
    /// </summary>
    public static async Task<T> WriteAsync<T>(string path, Func<FileStream, Task<T>> write)
    {
        string temporary = TemporaryPathFor(path);
        try
        {
            T result;
            await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                result = await write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            return result;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>A hidden name beside <paramref name="path"/>, unique to this process; creates the directory.</summary>
    private static string TemporaryPathFor(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
    }
}
