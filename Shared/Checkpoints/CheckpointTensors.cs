using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;

namespace DistributedTrainer.Checkpoints;

/// <summary>
/// Converts between a model's flat vectors and the named tensors of a checkpoint. Optimizer state is stored per
/// parameter tensor as "&lt;state&gt;.&lt;parameter name&gt;" ("exp_avg.fc1.weight") with the parameter's shape,
/// rather than as whole flat vectors, so the file reads like a PyTorch state dict and survives a change in how
/// the flat vector is laid out (alignment padding between tensors is not stored and restores as zero).
/// </summary>
public static class CheckpointTensors
{
    /// <summary>Copies of every parameter, then every buffer, by name and shape.</summary>
    public static IReadOnlyList<NamedTensor> FromModel(ParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var tensors = new List<NamedTensor>(store.Parameters.Count + store.Buffers.Count);
        tensors.AddRange(store.Parameters.Select(view => new NamedTensor(view.Name, [.. view.Shape], store.ValuesOf(view).ToArray())));
        tensors.AddRange(store.Buffers.Select(view => new NamedTensor(view.Name, [.. view.Shape], store.BufferOf(view).ToArray())));
        return tensors;
    }

    /// <summary>
    /// Copies tensors into <paramref name="store"/> by name; every parameter and buffer must be present with its
    /// shape (<see cref="InvalidDataException"/> naming the tensor otherwise). Extra tensors are ignored.
    /// </summary>
    public static void RestoreModel(ParameterStore store, IReadOnlyList<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(store);
        var byName = Index(tensors);
        foreach (var view in store.Parameters)
        {
            Find(byName, view.Name, view).Data.CopyTo(store.ValuesOf(view));
        }
        foreach (var view in store.Buffers)
        {
            Find(byName, view.Name, view).Data.CopyTo(store.BufferOf(view));
        }
    }

    /// <summary>The optimizer's state vectors cut into one tensor per state and parameter ("exp_avg.fc1.weight").</summary>
    public static IReadOnlyList<NamedTensor> FromOptimizer(Optimizer optimizer, IReadOnlyList<ParameterView> parameters)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(parameters);
        var tensors = new List<NamedTensor>(optimizer.State.Count * parameters.Count);
        foreach (var (state, vector) in optimizer.State.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            tensors.AddRange(parameters.Select(view =>
                new NamedTensor(StateName(state, view), [.. view.Shape], vector.AsSpan(view.Offset, view.Length).ToArray())));
        }
        return tensors;
    }

    /// <summary>
    /// Reassembles the optimizer's state vectors from <paramref name="tensors"/> and loads them with
    /// <paramref name="stepCount"/> (the manifest's optimizer step count).
    /// </summary>
    public static void RestoreOptimizer(Optimizer optimizer, long stepCount, IReadOnlyList<NamedTensor> tensors, IReadOnlyList<ParameterView> parameters)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(parameters);
        var byName = Index(tensors);
        var state = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string name in optimizer.State.Keys)
        {
            var vector = new float[optimizer.ParameterCount];
            foreach (var view in parameters)
            {
                Find(byName, StateName(name, view), view).Data.CopyTo(vector.AsSpan(view.Offset, view.Length));
            }
            state[name] = vector;
        }
        optimizer.LoadState(stepCount, state);
    }

    private static string StateName(string state, ParameterView view) => $"{state}.{view.Name}";

    private static Dictionary<string, NamedTensor> Index(IReadOnlyList<NamedTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (!byName.TryAdd(tensor.Name, tensor))
            {
                throw new InvalidDataException($"Checkpoint holds tensor '{tensor.Name}' twice");
            }
        }
        return byName;
    }

    private static NamedTensor Find(Dictionary<string, NamedTensor> byName, string name, ParameterView view)
    {
        if (!byName.TryGetValue(name, out var tensor))
        {
            throw new InvalidDataException($"Checkpoint has no tensor '{name}'");
        }
        if (!tensor.Shape.SequenceEqual(view.Shape) || tensor.Data.Length != view.Length)
        {
            throw new InvalidDataException(
                $"Checkpoint tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}]; the model expects [{string.Join(", ", view.Shape)}]");
        }
        return tensor;
    }
}
