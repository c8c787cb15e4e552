namespace DistributedTrainer.Numerics.Layers;

/// <summary>Where one named tensor lives inside a model's flat parameter (or buffer) vector.</summary>
/// <param name="Name">Full name, "layer.local" ("fc1.weight", "block1.fc.bias").</param>
/// <param name="Offset">First element in the flat vector.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="Role">Whether regularization and weight decay apply.</param>
/// <param name="LayerName">Name of the owning layer, used by freezing.</param>
public sealed record ParameterView(string Name, int Offset, int[] Shape, ParameterRole Role, string LayerName)
{
    /// <summary>Number of elements.</summary>
    public int Length => Shape.Aggregate(1, (product, size) => product * size);

    /// <summary>True when the optimizer must leave this tensor unchanged (transfer learning).</summary>
    public bool Frozen { get; init; }
}
