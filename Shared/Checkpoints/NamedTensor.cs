namespace DistributedTrainer.Checkpoints;

/// <summary>A float32 tensor with a name, as stored in a safetensors file.</summary>
/// <param name="Name">Unique within its file ("fc1.weight", "exp_avg.fc1.weight").</param>
/// <param name="Shape">Row-major sizes; an empty shape is a scalar (one element).</param>
/// <param name="Data">The elements; length is the product of <paramref name="Shape"/>.</param>
public sealed record NamedTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>Number of elements the shape describes.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, size) => product * size);
}
