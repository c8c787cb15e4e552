using System.Buffers;
using System.Text.Json;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// An append-only file of JSON lines, written through one <see cref="FileStream"/>: an exporter writes a
/// batch of lines into memory, then <see cref="Commit"/> appends them and flushes, so a reader (or a crash)
/// sees whole batches. Not atomic-rename like the project's other outputs: it grows for the life of the
/// process, and readers skip a torn last line. Not thread-safe; each exporter calls it from its own thread.
/// </summary>
internal sealed class JsonLinesFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _writer;

    public JsonLinesFile(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete);
        _writer = new Utf8JsonWriter(_buffer);
    }

    public string Path { get; }

    /// <summary>The writer of the current line: write one JSON value, then call <see cref="EndLine"/>.</summary>
    public Utf8JsonWriter Writer => _writer;

    public void EndLine()
    {
        _writer.Flush();
        _buffer.Write("\n"u8);
        _writer.Reset(_buffer);
    }

    /// <summary>Appends the lines written since the last commit and flushes them to the operating system.</summary>
    /// <exception cref="IOException">The write failed; the batch is dropped.</exception>
    public void Commit()
    {
        try
        {
            _stream.Write(_buffer.WrittenSpan);
            _stream.Flush();
        }
        finally
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        _stream.Dispose();
    }
}
