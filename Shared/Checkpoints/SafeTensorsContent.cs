namespace DistributedTrainer.Checkpoints;

/// <summary>What a safetensors file holds.</summary>
/// <param name="Tensors">The tensors in the order of their data in the file.</param>
/// <param name="Metadata">The "__metadata__" string map; empty when the file has none.</param>
public sealed record SafeTensorsContent(IReadOnlyList<NamedTensor> Tensors, IReadOnlyDictionary<string, string> Metadata);
