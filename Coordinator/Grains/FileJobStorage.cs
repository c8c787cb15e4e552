using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using Google.Protobuf;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Job grain state as files: <c>STATE/jobs/&lt;id&gt;/job.json</c>, the proto3 JSON of <see cref="Job"/> (the spec
/// and the status), replaced atomically on every write.
/// </summary>
internal sealed class FileJobStorage(CoordinatorPaths paths) : IGrainStorage<Job>
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public async Task<Job?> ReadAsync(string key)
    {
        string path = paths.JobFile(key);
        if (!File.Exists(path))
        {
            return null;
        }
        string text = await File.ReadAllTextAsync(path);
        try
        {
            return Parser.Parse<Job>(text);
        }
        catch (Exception malformed) when (malformed is InvalidProtocolBufferException or InvalidJsonException)
        {
            throw new InvalidDataException($"Invalid job state file {path}: {malformed.Message}", malformed);
        }
    }

    public Task WriteAsync(string key, Job state)
    {
        AtomicFile.WriteAllText(paths.JobFile(key), Formatter.Format(state));
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListKeysAsync()
    {
        IReadOnlyList<string> keys = Directory.Exists(paths.JobsDirectory)
            ? [.. Directory.EnumerateDirectories(paths.JobsDirectory)
                .Where(directory => File.Exists(Path.Combine(directory, CoordinatorPaths.JobFileName)))
                .Select(directory => Path.GetFileName(directory))]
            : [];
        return Task.FromResult(keys);
    }
}
