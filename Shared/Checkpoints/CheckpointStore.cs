using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text.Json;

namespace DistributedTrainer.Checkpoints;

/// <summary>
/// A job's checkpoints, one directory each, <c>step-000000123/</c> holding model.safetensors,
/// optimizer.safetensors and manifest.json. A checkpoint is built under a hidden temporary name
/// (<c>.tmp-step-000000123-&lt;guid&gt;</c>), every file flushed to disk, and only then renamed into place, so a
/// crash never leaves a partial <c>step-*</c> directory; loading verifies each file's size and SHA-256.
/// One writer at a time (the job grain); readers may run concurrently.
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>Parameters and buffers.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>Optimizer state.</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>The manifest (written last).</summary>
    public const string ManifestFile = "manifest.json";

    private const string StepPrefix = "step-";
    private const string TemporaryPrefix = ".tmp-";
    private const string RetiredPrefix = ".old-";

    /// <param name="directory">Where the step directories live; created on the first save.</param>
    /// <param name="keep">How many of the newest checkpoints to keep (default 3, at least 1).</param>
    public CheckpointStore(string directory, int keep = 3)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (keep < 1)
        {
            throw new ArgumentException($"Invalid keep: {keep} (must be >= 1)", nameof(keep));
        }
        Directory = directory;
        Keep = keep;
    }

    /// <summary>The store's root directory.</summary>
    public string Directory { get; }

    /// <summary>Number of newest checkpoints kept.</summary>
    public int Keep { get; }

    /// <summary>The directory name for a step: "step-" and the step padded to 9 digits.</summary>
    public static string DirectoryName(long step) => StepPrefix + step.ToString("D9", CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes <paramref name="checkpoint"/> atomically and returns its directory. Sets the manifest's
    /// <c>CreatedAt</c> and <c>Files</c>. A checkpoint of the same step is replaced; checkpoints of later steps
    /// (left by a run this one resumed from an earlier step) are deleted, then all but the newest
    /// <see cref="Keep"/>. Refuses tensors holding NaN or infinity before writing anything.
    /// </summary>
    /// <exception cref="IOException">A write failed (a full disk): the message names the checkpoint's directory; the
    /// previous checkpoints are left as they were.</exception>
    public string Save(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        long step = checkpoint.Manifest.Step;
        if (step < 0)
        {
            throw new ArgumentException($"Invalid checkpoint step: {step} (must be >= 0)", nameof(checkpoint));
        }
        RequireFinite(checkpoint.Model, ModelFile);
        RequireFinite(checkpoint.Optimizer, OptimizerFile);
        System.IO.Directory.CreateDirectory(Directory);
        RemoveLeftovers();

        string name = DirectoryName(step);
        string final = Path.Combine(Directory, name);
        string temporary = Path.Combine(Directory, $"{TemporaryPrefix}{name}-{Guid.NewGuid():N}");
        try
        {
            System.IO.Directory.CreateDirectory(temporary);
            var files = new Dictionary<string, CheckpointFileEntry>(StringComparer.Ordinal)
            {
                [ModelFile] = WriteFile(Path.Combine(temporary, ModelFile), stream => SafeTensorsWriter.Write(stream, checkpoint.Model)),
                [OptimizerFile] = WriteFile(Path.Combine(temporary, OptimizerFile), stream => SafeTensorsWriter.Write(stream, checkpoint.Optimizer)),
            };
            var manifest = checkpoint.Manifest with { CreatedAt = DateTimeOffset.UtcNow, Files = files };
            WriteFile(Path.Combine(temporary, ManifestFile),
                stream => JsonSerializer.Serialize(stream, manifest, CheckpointManifestJson.Default.CheckpointManifest));
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            // A full disk fails here, never in the renames below: the previous checkpoints are untouched. The error
            // names the checkpoint (the system's message names only the hidden temporary file).
            DeleteTemporary(temporary);
            throw new IOException($"Could not write checkpoint {final}: {failure.Message} (the previous checkpoints are intact)", failure);
        }
        catch
        {
            DeleteTemporary(temporary);
            throw;
        }

        if (System.IO.Directory.Exists(final))
        {
            string retired = Path.Combine(Directory, $"{RetiredPrefix}{name}-{Guid.NewGuid():N}");
            System.IO.Directory.Move(final, retired);
            System.IO.Directory.Move(temporary, final);
            System.IO.Directory.Delete(retired, recursive: true);
        }
        else
        {
            System.IO.Directory.Move(temporary, final);
        }
        Prune(step);
        return final;
    }

    /// <summary>
    /// Loads and verifies the checkpoint in <paramref name="checkpointDirectory"/>. Throws
    /// <see cref="InvalidDataException"/> naming the file and the defect: missing, truncated (size differs
    /// from the manifest), "checksum mismatch", malformed safetensors or manifest.
    /// </summary>
    public Checkpoint Load(string checkpointDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointDirectory);
        string manifestPath = Path.Combine(checkpointDirectory, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new InvalidDataException($"{manifestPath}: missing");
        }
        CheckpointManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllBytes(manifestPath), CheckpointManifestJson.Default.CheckpointManifest)
                ?? throw new InvalidDataException($"{manifestPath}: manifest is JSON null");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{manifestPath}: not a valid manifest ({error.Message})", error);
        }
        if (manifest.FormatVersion != CheckpointManifest.CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"{manifestPath}: format version {manifest.FormatVersion} is not supported (this build reads {CheckpointManifest.CurrentFormatVersion})");
        }
        string directoryName = Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpointDirectory));
        if (TryParseStep(directoryName, out long step) && step != manifest.Step)
        {
            throw new InvalidDataException($"{manifestPath}: step {manifest.Step} does not match the directory name {directoryName}");
        }
        var model = ReadVerified(checkpointDirectory, ModelFile, manifest);
        var optimizer = ReadVerified(checkpointDirectory, OptimizerFile, manifest);
        return new Checkpoint(manifest, model.Tensors, optimizer.Tensors);
    }

    /// <summary>
    /// The newest checkpoint that loads and verifies, with every newer one that did not and why; an empty
    /// result when the store holds none.
    /// </summary>
    public LatestCheckpoint LoadLatest()
    {
        var skipped = new List<SkippedCheckpoint>();
        foreach (var (_, path) in ListSteps().OrderByDescending(entry => entry.Step))
        {
            try
            {
                return new LatestCheckpoint(Load(path), path, skipped);
            }
            catch (Exception error) when (error is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                skipped.Add(new SkippedCheckpoint(path, error.Message));
            }
        }
        return new LatestCheckpoint(null, null, skipped);
    }

    /// <summary>The checkpoint directories, newest step first (not verified).</summary>
    public IReadOnlyList<string> List() =>
        ListSteps().OrderByDescending(entry => entry.Step).Select(entry => entry.Path).ToList();

    private List<(long Step, string Path)> ListSteps()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }
        var steps = new List<(long, string)>();
        foreach (string path in System.IO.Directory.EnumerateDirectories(Directory, StepPrefix + "*"))
        {
            if (TryParseStep(Path.GetFileName(path), out long step))
            {
                steps.Add((step, path));
            }
        }
        return steps;
    }

    private static bool TryParseStep(string name, out long step)
    {
        step = -1;
        return name.StartsWith(StepPrefix, StringComparison.Ordinal)
            && name.Length > StepPrefix.Length
            && name.AsSpan(StepPrefix.Length).IndexOfAnyExceptInRange('0', '9') < 0
            && long.TryParse(name.AsSpan(StepPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out step);
    }

    private static void RequireFinite(IReadOnlyList<NamedTensor> tensors, string file)
    {
        foreach (var tensor in tensors)
        {
            if (TensorPrimitives.IsFiniteAll<float>(tensor.Data))
            {
                continue;
            }
            int at = Array.FindIndex(tensor.Data, value => !float.IsFinite(value));
            throw new InvalidDataException(
                $"Refusing to save a checkpoint: {file} tensor '{tensor.Name}' holds {tensor.Data[at].ToString(CultureInfo.InvariantCulture)} at element {at}");
        }
    }

    private static CheckpointFileEntry WriteFile(string path, Action<Stream> write)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        using var sha = SHA256.Create();
        using (var hashing = new CryptoStream(file, sha, CryptoStreamMode.Write, leaveOpen: true))
        {
            write(hashing);
            hashing.FlushFinalBlock();
        }
        file.Flush(flushToDisk: true);
        return new CheckpointFileEntry(file.Length, Convert.ToHexStringLower(sha.Hash!));
    }

    private static SafeTensorsContent ReadVerified(string directory, string name, CheckpointManifest manifest)
    {
        string path = Path.Combine(directory, name);
        if (!manifest.Files.TryGetValue(name, out var entry))
        {
            throw new InvalidDataException($"{Path.Combine(directory, ManifestFile)}: no entry for {name}");
        }
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: missing");
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != entry.Length)
        {
            string what = bytes.Length < entry.Length ? "truncated" : "size mismatch";
            throw new InvalidDataException($"{path}: {what}: {bytes.Length} bytes, manifest says {entry.Length}");
        }
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, entry.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{path}: checksum mismatch (sha256 {actual}, manifest says {entry.Sha256})");
        }
        return SafeTensorsReader.Read(bytes, path);
    }

    // Best effort: what cannot be deleted now (the disk that failed the write may fail this too) is a leftover that
    // the next save removes.
    private static void DeleteTemporary(string temporary)
    {
        try
        {
            if (System.IO.Directory.Exists(temporary))
            {
                System.IO.Directory.Delete(temporary, recursive: true);
            }
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            // Left for RemoveLeftovers at the next save.
        }
    }

    // A crash can leave a temporary directory (never renamed) or a retired one (replaced, not yet deleted).
    private void RemoveLeftovers()
    {
        foreach (string path in System.IO.Directory.EnumerateDirectories(Directory))
        {
            string name = Path.GetFileName(path);
            if (name.StartsWith(TemporaryPrefix, StringComparison.Ordinal) || name.StartsWith(RetiredPrefix, StringComparison.Ordinal))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
    }

    private void Prune(long savedStep)
    {
        var steps = ListSteps();
        foreach (var (_, path) in steps.Where(entry => entry.Step > savedStep))
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
        foreach (var (_, path) in steps.Where(entry => entry.Step <= savedStep).OrderByDescending(entry => entry.Step).Skip(Keep))
        {
            System.IO.Directory.Delete(path, recursive: true);
        }
    }
}
