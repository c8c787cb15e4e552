namespace DistributedTrainer.Checkpoints;

/// <summary>What the manifest records about one file of a checkpoint, to detect truncation and corruption.</summary>
/// <param name="Length">Size in bytes.</param>
/// <param name="Sha256">SHA-256 of the content, lowercase hex.</param>
public sealed record CheckpointFileEntry(long Length, string Sha256);
