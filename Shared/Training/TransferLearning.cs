using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// Starts a model from another run's checkpoint: every tensor whose name and shape match is copied, the output
/// layer is left freshly initialized when asked (a new head), and the named layers are frozen.
/// </summary>
public static class TransferLearning
{
    /// <summary>Applies <paramref name="transfer"/> to a freshly initialized <paramref name="model"/>; returns the tensors copied.</summary>
    public static IReadOnlyList<string> Apply(Model model, TransferSpec transfer)
    {
        var checkpoint = LoadCheckpoint(transfer.FromCheckpoint);
        var source = checkpoint.Model.ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
        string? head = transfer.ReplaceOutput ? OutputLayerPrefix(model) : null;
        var copied = new List<string>();
        foreach (var view in model.Store.Parameters.Concat(model.Store.Buffers))
        {
            if (head is not null && view.Name.StartsWith(head, StringComparison.Ordinal))
            {
                continue;
            }
            if (source.TryGetValue(view.Name, out var tensor) && tensor.Shape.SequenceEqual(view.Shape))
            {
                var destination = model.Store.Parameters.Contains(view) ? model.Store.ValuesOf(view) : model.Store.BufferOf(view);
                tensor.Data.CopyTo(destination);
                copied.Add(view.Name);
            }
        }
        if (copied.Count == 0)
        {
            throw new InvalidDataException(
                $"transfer.from_checkpoint: no tensor of {transfer.FromCheckpoint} matches this model by name and shape.");
        }
        if (transfer.Freeze.Count > 0)
        {
            model.Freeze(transfer.Freeze);
        }
        return copied;
    }

    /// <summary>A checkpoint directory, or a directory of checkpoints (the newest loadable one is used).</summary>
    private static Checkpoint LoadCheckpoint(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(Path.Combine(full, CheckpointStore.ManifestFile)))
        {
            return new CheckpointStore(Path.GetDirectoryName(full)!).Load(full);
        }
        var latest = new CheckpointStore(full).LoadLatest();
        return latest.Checkpoint ?? throw new InvalidDataException(
            $"transfer.from_checkpoint: {full} holds no loadable checkpoint" +
            (latest.Skipped.Count > 0 ? $" ({string.Join("; ", latest.Skipped.Select(s => s.Reason))})." : "."));
    }

    private static string OutputLayerPrefix(Model model)
    {
        var output = model.Layers.OfType<Dense>().LastOrDefault()
            ?? throw new InvalidDataException("transfer.replace_output: the model has no dense layer to replace.");
        return model.FullNameOf(output) + ".";
    }
}
