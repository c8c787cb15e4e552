using System.Formats.Tar;
using System.Security.Cryptography;
using DistributedTrainer.Checkpoints;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>
/// The bytes of one download: a checkpoint directory as a tar archive (entries under <c>step-NNNNNNNNN/</c>), or
/// one of its files, with their SHA-256.
/// </summary>
internal sealed record CheckpointDownload(string Checkpoint, byte[] Content, string Sha256)
{
    /// <summary>Largest chunk sent, in bytes (1 MiB: well under grpcio's 4 MiB default receive limit).</summary>
    public const int ChunkSize = 1024 * 1024;

    private static readonly string[] Files = [CheckpointStore.ModelFile, CheckpointStore.OptimizerFile, CheckpointStore.ManifestFile];

    /// <summary>Reads checkpoint <paramref name="checkpoint"/> (empty: the newest) of the store at <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">No such checkpoint (or none yet).</exception>
    /// <exception cref="ArgumentException">The file is not one a checkpoint holds.</exception>
    public static CheckpointDownload Read(string directory, string checkpoint, string file)
    {
        if (file.Length > 0 && !Files.Contains(file, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Invalid file: '{file}' (must be one of {string.Join(", ", Files)}, or empty for the whole checkpoint)", nameof(file));
        }
        IReadOnlyList<string> available = Directory.Exists(directory) ? new CheckpointStore(directory).List() : [];
        string? path = checkpoint.Length == 0
            ? (available.Count > 0 ? available[0] : null)
            : available.FirstOrDefault(candidate => Path.GetFileName(candidate) == checkpoint);
        if (path is null)
        {
            throw new FileNotFoundException(checkpoint.Length == 0
                ? "The job has no checkpoint yet."
                : $"Checkpoint {checkpoint} not found (available: {string.Join(", ", available.Select(Path.GetFileName))}).");
        }
        byte[] content = file.Length > 0 ? File.ReadAllBytes(Path.Combine(path, file)) : Archive(path);
        return new CheckpointDownload(Path.GetFileName(path), content, Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    private static byte[] Archive(string checkpointDirectory)
    {
        using var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            string name = Path.GetFileName(checkpointDirectory);
            foreach (var file in Files)
            {
                writer.WriteEntry(Path.Combine(checkpointDirectory, file), $"{name}/{file}");
            }
        }
        return archive.ToArray();
    }
}
