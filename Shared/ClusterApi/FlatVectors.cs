using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Training;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// The two flat vectors a step moves (cluster.proto): parameters (trainable values, then buffers, float32) from
/// the coordinator to the workers, and gradients (fixed-point gradient sums, then buffer changes, int64) from
/// the workers to the coordinator. Each is cut into ring segments by <c>RingSegments.Range</c>. A GAN job's
/// parameter vector is its networks' vectors one after another (generator, then discriminator); its gradient
/// vector is the updated network's.
/// </summary>
public static class FlatVectors
{
    /// <summary>Length of the parameter vector of <paramref name="store"/>.</summary>
    public static int ParameterLength(ParameterStore store) => store.Count + store.BufferValues.Length;

    /// <summary>Length of the gradient vector of <paramref name="store"/>.</summary>
    public static int GradientLength(ParameterStore store) => store.Count + store.BufferValues.Length;

    /// <summary>
    /// Sums over <paramref name="store"/>'s gradient vector laid out at the start of <paramref name="flat"/> (gradient sums,
    /// then buffer changes), as views of it: what is added into them lies where the ring reduces it, with no copy.
    /// </summary>
    public static (FixedPointAccumulator Gradients, FixedPointAccumulator BufferChanges) GradientSums(Memory<long> flat, ParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (flat.Length < GradientLength(store))
        {
            throw new ArgumentException($"Invalid gradient vector: {flat.Length} elements (the model needs {GradientLength(store)})", nameof(flat));
        }
        return (new FixedPointAccumulator(flat[..store.Count]), new FixedPointAccumulator(flat.Slice(store.Count, store.BufferValues.Length)));
    }

    /// <summary>Writes the model's parameters and buffers into <paramref name="destination"/>.</summary>
    public static void CopyParameters(Span<float> destination, ParameterStore store)
    {
        CheckLength(destination.Length, ParameterLength(store), "parameter");
        store.Values.CopyTo(destination);
        store.BufferValues.CopyTo(destination[store.Count..]);
    }

    /// <summary>Loads the model's parameters and buffers from <paramref name="source"/>.</summary>
    public static void LoadParameters(ParameterStore store, ReadOnlySpan<float> source)
    {
        CheckLength(source.Length, ParameterLength(store), "parameter");
        source[..store.Count].CopyTo(store.Values);
        source[store.Count..].CopyTo(store.BufferValues);
    }

    /// <summary>Length of the parameter vectors of <paramref name="stores"/> one after another.</summary>
    public static int ParameterLength(IReadOnlyList<ParameterStore> stores) => stores.Sum(ParameterLength);

    /// <summary>Writes the parameter vectors of <paramref name="stores"/> one after another into <paramref name="destination"/>.</summary>
    public static void CopyParameters(Span<float> destination, IReadOnlyList<ParameterStore> stores)
    {
        CheckLength(destination.Length, ParameterLength(stores), "parameter");
        foreach (var store in stores)
        {
            int length = ParameterLength(store);
            CopyParameters(destination[..length], store);
            destination = destination[length..];
        }
    }

    /// <summary>Loads the parameter vectors of <paramref name="stores"/>, one after another in <paramref name="source"/>.</summary>
    public static void LoadParameters(IReadOnlyList<ParameterStore> stores, ReadOnlySpan<float> source)
    {
        CheckLength(source.Length, ParameterLength(stores), "parameter");
        foreach (var store in stores)
        {
            int length = ParameterLength(store);
            LoadParameters(store, source[..length]);
            source = source[length..];
        }
    }

    private static void CheckLength(int actual, int expected, string vector)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"Invalid {vector} vector: {actual} elements (the model has {expected})");
        }
    }
}
