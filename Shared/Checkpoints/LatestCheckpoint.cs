namespace DistributedTrainer.Checkpoints;

/// <summary>The result of <see cref="CheckpointStore.LoadLatest"/>.</summary>
/// <param name="Checkpoint">The newest checkpoint that loads and verifies; null when there is none.</param>
/// <param name="Directory">Its directory; null when there is none.</param>
/// <param name="Skipped">Newer directories that were damaged, newest first, each with the reason; report them as events.</param>
public sealed record LatestCheckpoint(Checkpoint? Checkpoint, string? Directory, IReadOnlyList<SkippedCheckpoint> Skipped);
