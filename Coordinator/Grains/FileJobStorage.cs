using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using Google.Protobuf;
using Orleans.Storage;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Job grain state as files, an Orleans <see cref="IGrainStorage"/>: <c>STATE/jobs/&lt;id&gt;/job.json</c>, the proto3
/// JSON of <see cref="Job"/> (the spec and the status), replaced atomically on every write (temp file and rename), so a
/// coordinator restarted on the same directory finds every job. One activation writes each file, so no ETag is checked.
/// </summary>
internal sealed class FileJobStorage(CoordinatorPaths paths) : IGrainStorage
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The stored job <paramref name="jobId"/>, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The file is not a job's JSON; the message names it.</exception>
    public async Task<Job?> ReadAsync(string jobId)
    {
        string path = paths.JobFile(jobId);
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

    /// <summary>The ids of every job with stored state.</summary>
    public IReadOnlyList<string> ListJobIds() => Directory.Exists(paths.JobsDirectory)
        ? [.. Directory.EnumerateDirectories(paths.JobsDirectory)
            .Where(directory => File.Exists(Path.Combine(directory, CoordinatorPaths.JobFileName)))
            .Select(directory => Path.GetFileName(directory))]
        : [];

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (await ReadAsync(JobId(grainId)) is { } job)
        {
            grainState.State = AsState<T>(job);
            grainState.RecordExists = true;
        }
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var job = grainState.State as Job ?? throw new ArgumentException($"Invalid state of grain {grainId}: a {typeof(T).Name}, not a Job", nameof(grainState));
        AtomicFile.WriteAllText(paths.JobFile(JobId(grainId)), Formatter.Format(job));
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        File.Delete(paths.JobFile(JobId(grainId)));
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string JobId(GrainId grainId) => grainId.Key.ToString() ?? "";

    private static T AsState<T>(Job job) => job is T state
        ? state
        : throw new ArgumentException($"Invalid grain state type {typeof(T).Name}: job storage holds Jobs");
}
