namespace DistributedTrainer.Checkpoints;

/// <summary>A checkpoint directory that could not be loaded.</summary>
/// <param name="Directory">Its path.</param>
/// <param name="Reason">The error, naming the file and the defect ("model.safetensors: checksum mismatch ...").</param>
public sealed record SkippedCheckpoint(string Directory, string Reason);
