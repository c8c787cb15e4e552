using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using Google.Protobuf;
using Orleans.Storage;

namespace DistributedTrainer.Coordinator.Sweeps;

/// <summary>
/// Sweep grain state as files, as <see cref="Grains.FileJobStorage"/> keeps jobs: <c>STATE/sweeps/&lt;id&gt;/sweep.json</c>,
/// the proto3 JSON of <see cref="Sweep"/>, replaced atomically on every write, so a coordinator restarted on the same
/// directory resumes every sweep where it was. One activation writes each file, so no ETag is checked.
/// </summary>
internal sealed class FileSweepStorage(CoordinatorPaths paths) : IGrainStorage
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The stored sweep <paramref name="sweepId"/>, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The file is not a sweep's JSON; the message names it.</exception>
    public async Task<Sweep?> ReadAsync(string sweepId)
    {
        string path = paths.SweepFile(sweepId);
        if (!File.Exists(path))
        {
            return null;
        }
        string text = await File.ReadAllTextAsync(path);
        try
        {
            return Parser.Parse<Sweep>(text);
        }
        catch (Exception malformed) when (malformed is InvalidProtocolBufferException or InvalidJsonException)
        {
            throw new InvalidDataException($"Invalid sweep state file {path}: {malformed.Message}", malformed);
        }
    }

    /// <summary>The ids of every sweep with stored state.</summary>
    public IReadOnlyList<string> ListSweepIds() => Directory.Exists(paths.SweepsDirectory)
        ? [.. Directory.EnumerateDirectories(paths.SweepsDirectory)
            .Where(directory => File.Exists(Path.Combine(directory, CoordinatorPaths.SweepFileName)))
            .Select(directory => Path.GetFileName(directory))]
        : [];

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (await ReadAsync(SweepId(grainId)) is { } sweep)
        {
            grainState.State = sweep is T typed ? typed : throw new ArgumentException($"Invalid grain state type {typeof(T).Name}: sweep storage holds Sweeps");
            grainState.RecordExists = true;
        }
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var sweep = grainState.State as Sweep ?? throw new ArgumentException($"Invalid state of grain {grainId}: a {typeof(T).Name}, not a Sweep", nameof(grainState));
        string path = paths.SweepFile(SweepId(grainId));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, Formatter.Format(sweep));
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        File.Delete(paths.SweepFile(SweepId(grainId)));
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string SweepId(GrainId grainId) => grainId.Key.ToString() ?? "";
}
