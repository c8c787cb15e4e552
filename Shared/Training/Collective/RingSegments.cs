namespace DistributedTrainer.Training.Collective;

/// <summary>
/// How a vector is split among the ranks of a ring: <c>size</c> contiguous segments whose lengths differ by at
/// most one, the longer ones first. After a reduce-scatter rank i holds segment i; the coordinator uses the
/// same split to know which elements each worker sends it and receives back.
/// </summary>
public static class RingSegments
{
    /// <summary>
    /// The element range of segment <paramref name="index"/> of a vector of <paramref name="length"/> elements
    /// split among <paramref name="size"/> ranks: segments 0 .. length % size - 1 have length / size + 1
    /// elements, the rest length / size. Segments are empty when the vector is shorter than the ring.
    /// </summary>
    /// <returns>The index of the segment's first element and its number of elements.</returns>
    public static (int Offset, int Length) Range(int length, int size, int index)
    {
        if (length < 0)
        {
            throw new ArgumentException($"Invalid length: {length} (must be >= 0)", nameof(length));
        }

        if (size < 1)
        {
            throw new ArgumentException($"Invalid size: {size} (must be >= 1)", nameof(size));
        }

        if (index < 0 || index >= size)
        {
            throw new ArgumentException($"Invalid index: {index} (must be in [0, {size}))", nameof(index));
        }

        int quotient = length / size;
        int remainder = length % size;
        return (index * quotient + Math.Min(index, remainder), quotient + (index < remainder ? 1 : 0));
    }
}
