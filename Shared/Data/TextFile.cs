using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace DistributedTrainer.Data;

/// <summary>
/// Reads one file of a TEXT data set: UTF-8 (a leading byte-order mark is dropped), raw or gzip. Bytes that are not
/// UTF-8 and control characters other than tab, line feed, vertical tab, form feed and carriage return are refused:
/// they mark a binary file (an image or an archive left in a corpus directory) rather than text. Errors name the
/// field and the file and give a position, never the offending bytes: the message may reach a remote caller, who
/// must learn nothing of a file's content.
/// </summary>
internal static class TextFile
{
    private const string Field = "dataset.train_path";

    // The C0 controls but those that lay text out on a page (licences and plain-text books use them).
    private static readonly SearchValues<char> BinaryControls = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(code => (char)code).Where(control => control is not ('\t' or '\n' or '\v' or '\f' or '\r'))]);

    /// <summary>The text of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file cannot be read (permissions included).</exception>
    /// <exception cref="InvalidDataException">The file is not UTF-8 text, or a corrupt gzip stream.</exception>
    public static string Read(string path)
    {
        byte[] bytes = ReadBytes(path);
        var utf8 = bytes.AsSpan();
        if (utf8.StartsWith(Encoding.UTF8.Preamble))
        {
            utf8 = utf8[Encoding.UTF8.Preamble.Length..];
        }
        // UTF-8 never needs more UTF-16 code units than it has bytes.
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, utf8.Length));
        try
        {
            var status = Utf8.ToUtf16(utf8, buffer, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                throw new InvalidDataException($"{Field}: {path} is not UTF-8 text (invalid byte sequence at byte {bytesRead + bytes.Length - utf8.Length})");
            }
            var text = buffer.AsSpan(0, charsWritten);
            int control = text.IndexOfAny(BinaryControls);
            if (control >= 0)
            {
                int character = 0;
                foreach (var _ in text[..control].EnumerateRunes())
                {
                    character++;
                }
                throw new InvalidDataException(
                    $"{Field}: {path} is not text: character {character} is a control character other than tab, line feed, vertical tab, form feed or carriage return");
            }
            return new string(text);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static byte[] ReadBytes(string path)
    {
        try
        {
            using var stream = DataFile.OpenRead(path);
            using var content = new MemoryStream();
            stream.CopyTo(content);
            return content.ToArray();
        }
        catch (FileNotFoundException)
        {
            throw new FileNotFoundException($"{Field}: file not found: {path}{MissingDataHint.For(path)}", path);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"{Field}: {path}: corrupt gzip stream ({error.Message})", error);
        }
        catch (UnauthorizedAccessException error)
        {
            throw new IOException($"{Field}: {path} cannot be read (permission denied)", error);
        }
    }
}
