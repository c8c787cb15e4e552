namespace DistributedTrainer.Numerics.Layers;

/// <summary>A tensor a layer asks the model to hold for it: a local name ("weight"), a shape and a role.</summary>
/// <param name="Name">Local name; the model prefixes the layer's name ("fc1.weight").</param>
/// <param name="Shape">Row-major shape, PyTorch's convention (a dense weight is (out, in)).</param>
/// <param name="Role">Whether regularization and weight decay apply.</param>
public sealed record ParameterDeclaration(string Name, int[] Shape, ParameterRole Role)
{
    /// <summary>Number of elements.</summary>
    public int Length => Shape.Aggregate(1, (product, size) => checked(product * size));
}
