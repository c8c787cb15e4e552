using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// The <c>--data-root</c> directories `trainctl local` gives its coordinator and workers: the directories holding the
/// spec's data files (where their links lead), its shard directories and its transfer checkpoint, so the job reads its own data and the
/// cluster nothing else.
/// </summary>
internal static class LocalDataRoots
{
    /// <summary>The roots <paramref name="spec"/> needs (absolute paths, each once); empty when it names no data.</summary>
    public static IReadOnlyList<string> Of(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var dataset = spec.Dataset ?? new DatasetSpec();
        var roots = new List<string>();
        foreach (var file in new[] { dataset.TrainPath, dataset.TrainLabelsPath, dataset.TestPath, dataset.TestLabelsPath })
        {
            if (file.Length > 0)
            {
                string resolved = DataRoots.ResolvePath(file) ?? Path.GetFullPath(file);
                // A shard directory is a root itself; a file's root is its directory.
                roots.Add(Directory.Exists(resolved) ? resolved : Path.GetDirectoryName(resolved) ?? resolved);
            }
        }
        if (spec.Transfer is { FromCheckpoint.Length: > 0 } transfer)
        {
            roots.Add(DataRoots.ResolvePath(transfer.FromCheckpoint) ?? Path.GetFullPath(transfer.FromCheckpoint));
        }
        return [.. roots.Distinct(StringComparer.Ordinal)];
    }

    /// <summary><c>--data-root DIR</c> for each of <paramref name="roots"/>.</summary>
    public static IEnumerable<string> Arguments(IReadOnlyList<string> roots) => roots.SelectMany(root => new[] { "--data-root", root });
}
