using System.Runtime.InteropServices;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// Converts IDX and CSV data sets to shard directories (<c>trainctl dataset convert</c>). Features keep their
/// stored type (uint8 for IDX, float32 for CSV) and class ids their values, so training on the shards gives the
/// same parameters as training on the input. The output appears whole or not at all.
/// </summary>
public static class ShardConverter
{
    /// <summary>Default samples per shard.</summary>
    public const int DefaultShardSize = 10_000;

    /// <summary>Converts IDX images (samples, dims...) and their labels (samples) to <paramref name="output"/>.</summary>
    public static ShardIndex FromIdx(string images, string labels, string output, int shardSize = DefaultShardSize)
    {
        var features = IdxReader.Read(images);
        var ids = IdxReader.Read(labels);
        if (features.Dimensions.Length < 2)
        {
            throw new InvalidDataException($"{images}: has {features.Dimensions.Length} dimension(s); images need at least 2 (samples, features...)");
        }
        if (ids.Dimensions.Length != 1 || ids.Dimensions[0] != features.Dimensions[0])
        {
            throw new InvalidDataException($"{labels}: must hold one label per sample of {images} ({features.Dimensions[0]})");
        }
        int samples = features.Dimensions[0];
        int perSample = features.ElementsPerItem;
        int classCount = samples == 0 ? 1 : ids.Data.Max() + 1;
        return WriteAtomically(output, directory =>
        {
            using var writer = new ShardWriter(directory, NpyDType.UInt8, features.Dimensions[1..], TargetKind.ClassIds, NpyDType.UInt8, [],
                classCount, samples, shardSize);
            for (int i = 0; i < samples; i++)
            {
                writer.Add(features.Data.AsSpan(i * perSample, perSample), ids.Data.AsSpan(i, 1));
            }
            return writer.Complete();
        });
    }

    /// <summary>Converts a CSV file (a label column, the other columns features) to <paramref name="output"/>.</summary>
    public static ShardIndex FromCsv(string csv, int labelColumn, bool hasHeader, string output, int shardSize = DefaultShardSize)
    {
        var table = CsvReader.Read(csv, labelColumn, hasHeader);
        int classCount = table.Count == 0 ? 1 : table.Labels.Max() + 1;
        return WriteAtomically(output, directory =>
        {
            using var writer = new ShardWriter(directory, NpyDType.Float32, [table.FeatureCount], TargetKind.ClassIds, NpyDType.Int32, [],
                classCount, table.Count, shardSize);
            for (int i = 0; i < table.Count; i++)
            {
                writer.Add(MemoryMarshal.AsBytes(table.Features.AsSpan(i * table.FeatureCount, table.FeatureCount)),
                    MemoryMarshal.AsBytes(table.Labels.AsSpan(i, 1)));
            }
            return writer.Complete();
        });
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a fresh directory next to <paramref name="output"/> and renames it to
    /// <paramref name="output"/> when it succeeds; deletes it when it fails. <paramref name="output"/> must not exist.
    /// </summary>
    public static ShardIndex WriteAtomically(string output, Func<string, ShardIndex> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = Path.GetFullPath(output.TrimEnd(Path.DirectorySeparatorChar));
        if (Directory.Exists(target) || File.Exists(target))
        {
            throw new IOException($"{target} exists already (convert writes a new directory)");
        }
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        // Hidden and unique, in the same directory so the rename is atomic on one file system.
        string temporary = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            var index = write(temporary);
            Directory.Move(temporary, target);
            return index;
        }
        catch
        {
            Directory.Delete(temporary, recursive: true);
            throw;
        }
    }
}
