using System.Security.Cryptography;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// Checks every shard file of a directory against its SHA-256 in index.json. Loading a data set for training does
/// not (hashing terabytes on every process at every job start would cost more than the job); `trainctl dataset inspect` does.
/// </summary>
public static class ShardVerifier
{
    /// <summary>One file's check.</summary>
    /// <param name="Field">The index field naming the file ("shards[0].features").</param>
    /// <param name="File">The file name.</param>
    /// <param name="Matches">Whether its SHA-256 equals the index's.</param>
    public sealed record FileCheck(string Field, string File, bool Matches);

    /// <summary>Hashes every file of <paramref name="directory"/>'s shards, in index order.</summary>
    public static IReadOnlyList<FileCheck> Verify(string directory, ShardIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        var checks = new List<FileCheck>();
        for (int s = 0; s < index.Shards.Count; s++)
        {
            var shard = index.Shards[s];
            checks.Add(new FileCheck($"shards[{s}].features", shard.Features, Hash(Path.Combine(directory, shard.Features)) == shard.FeaturesSha256));
            checks.Add(new FileCheck($"shards[{s}].targets", shard.Targets, Hash(Path.Combine(directory, shard.Targets)) == shard.TargetsSha256));
        }
        return checks;
    }

    private static string Hash(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
