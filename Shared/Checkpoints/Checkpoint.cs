namespace DistributedTrainer.Checkpoints;

/// <summary>One saved training state.</summary>
/// <param name="Manifest">Step, epoch, data cursor, RNG, optimizer and schedule state, metrics, file checksums.</param>
/// <param name="Model">Parameters and buffers by name ("fc1.weight", "bn1.running_mean"), in model.safetensors.</param>
/// <param name="Optimizer">
/// Optimizer state per parameter tensor, named "&lt;state&gt;.&lt;parameter name&gt;" ("exp_avg.fc1.weight"), in
/// optimizer.safetensors; see <see cref="CheckpointTensors"/>.
/// </param>
public sealed record Checkpoint(CheckpointManifest Manifest, IReadOnlyList<NamedTensor> Model, IReadOnlyList<NamedTensor> Optimizer);
