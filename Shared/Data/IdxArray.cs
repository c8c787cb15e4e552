namespace DistributedTrainer.Data;

/// <summary>An unsigned-byte array read from an IDX file.</summary>
/// <param name="Dimensions">Sizes, outermost first ([60000, 28, 28] for MNIST training images).</param>
/// <param name="Data">The elements in row-major order; length is the product of <paramref name="Dimensions"/>.</param>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    /// <summary>Elements per entry of the first dimension (784 for 28x28 images, 1 for a label vector).</summary>
    public int ElementsPerItem => Dimensions.Skip(1).Aggregate(1, (product, size) => product * size);
}
