namespace DistributedTrainer.Data.Shards;

/// <summary>Opens a shard directory as a <see cref="Dataset"/> over its memory-mapped shards.</summary>
public static class ShardedDataset
{
    /// <summary>
    /// The samples of <paramref name="path"/> (a shard directory or its index.json), unnormalized. The class count is
    /// <paramref name="classCount"/> when &gt; 0, else the index's num_classes for class ids, and the target width for
    /// multi-hot and real targets. Errors name the index field or file and never quote file content.
    /// </summary>
    public static (Dataset Data, ShardIndex Index) Open(string path, int classCount = 0)
    {
        var samples = ShardedSamples.Open(path);
        var index = samples.Index;
        int classes = index.TargetKind switch
        {
            TargetKind.ClassIds => classCount > 0 ? classCount
                : index.ClassCount ?? throw new InvalidDataException(
                    $"{ShardIndex.FileName}: targets.num_classes: required for class_ids unless the spec sets dataset.num_classes"),
            _ => index.TargetWidth,
        };
        return (Dataset.FromStore(samples, classes), index);
    }
}
