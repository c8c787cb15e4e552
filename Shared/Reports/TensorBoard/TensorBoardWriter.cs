using System.Globalization;
using DistributedTrainer.Protos.TensorBoard;
using Google.Protobuf;

namespace DistributedTrainer.Reports.TensorBoard;

/// <summary>
/// Writes one TensorBoard event file, <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;</c>, in a log
/// directory: TFRecords of <c>tensorboard.Event</c>, the first one declaring "brain.Event:2". Point
/// <c>tensorboard --logdir</c> at the directory. Safe to call from several threads.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private const string FileVersion = "brain.Event:2";

    private readonly Lock _gate = new();
    private readonly TfRecordWriter _records;
    private bool _disposed;

    /// <summary>Creates <paramref name="logDirectory"/> if needed and starts a new event file in it.</summary>
    public TensorBoardWriter(string logDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDirectory);
        Directory.CreateDirectory(logDirectory);
        var stream = CreateFile(logDirectory, out string path);
        FilePath = path;
        _records = new TfRecordWriter(stream);
        Write(new Event { WallTime = Now(), FileVersion = FileVersion });
        Flush();
    }

    /// <summary>Full path of the event file.</summary>
    public string FilePath { get; }

    /// <summary>Appends one point of the scalar series <paramref name="tag"/> ("train/loss") at <paramref name="step"/>.</summary>
    public void AddScalar(string tag, long step, float value)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        Write(Summary(step, new Summary.Types.Value { Tag = tag, SimpleValue = value }));
    }

    /// <summary>
    /// Appends a PNG image <paramref name="png"/> of <paramref name="width"/> x <paramref name="height"/> pixels with
    /// <paramref name="channels"/> channels (1 grey, 3 RGB) under <paramref name="tag"/> at <paramref name="step"/>.
    /// </summary>
    public void AddImage(string tag, long step, byte[] png, int width, int height, int channels)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentNullException.ThrowIfNull(png);
        var image = new Summary.Types.Image
        {
            Width = width,
            Height = height,
            Colorspace = channels,
            EncodedImageString = ByteString.CopyFrom(png),
        };
        Write(Summary(step, new Summary.Types.Value { Tag = tag, Image = image }));
    }

    /// <summary>
    /// Appends the histogram of <paramref name="values"/> under <paramref name="tag"/> at <paramref name="step"/>,
    /// with TensorFlow's default buckets (limits ±1e-12 · 1.1^k); NaN and infinities are left out.
    /// </summary>
    public void AddHistogram(string tag, long step, ReadOnlySpan<float> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        Write(Summary(step, new Summary.Types.Value { Tag = tag, Histo = Histogram.Build(values) }));
    }

    /// <summary>Pushes everything written so far to disk, so TensorBoard shows it.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _records.Flush();
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _records.Flush();
            _records.Dispose();
            _disposed = true;
        }
    }

    private static Event Summary(long step, Summary.Types.Value value) =>
        new() { WallTime = Now(), Step = step, Summary = new Summary { Value = { value } } };

    private void Write(Event message)
    {
        byte[] data = message.ToByteArray();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _records.Write(data);
        }
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>A new file named as TensorFlow names them; a numeric suffix when a run started in the same second.</summary>
    private static FileStream CreateFile(string directory, out string path)
    {
        string name = string.Create(CultureInfo.InvariantCulture,
            $"events.out.tfevents.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Environment.MachineName}");
        for (int attempt = 0; ; attempt++)
        {
            path = Path.Combine(directory, attempt == 0 ? name : string.Create(CultureInfo.InvariantCulture, $"{name}.{attempt}"));
            try
            {
                return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another writer (a resumed run, a second job) took this name; try the next.
            }
        }
    }
}
