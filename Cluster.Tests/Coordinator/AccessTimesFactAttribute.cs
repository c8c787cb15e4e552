using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// A fact that tells a read by a file's access time; skipped, saying why, where the temp directory's file system does
/// not record access times (mounted noatime), since there the check could not fail.
/// </summary>
public sealed class AccessTimesFactAttribute : FactAttribute
{
    private static readonly DateTime LongAgo = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly string? Unavailable = Probe();

    public AccessTimesFactAttribute()
    {
        if (Unavailable is not null)
        {
            Skip = Unavailable;
        }
    }

    /// <summary>Sets the access time of every file under <paramref name="directory"/> long ago, so that any read moves it.</summary>
    public static void Age(string directory)
    {
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            File.SetLastAccessTimeUtc(file, LongAgo);
        }
    }

    /// <summary>The files under <paramref name="directory"/> whose access time moved since <see cref="Age"/>: they were read.</summary>
    public static IReadOnlyList<string> Read(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(file => File.GetLastAccessTimeUtc(file) != LongAgo)];

    private static string? Probe()
    {
        string directory = Directory.CreateTempSubdirectory("dt-atime-probe-").FullName;
        try
        {
            string file = Path.Combine(directory, "probe");
            File.WriteAllText(file, "probe");
            Age(directory);
            _ = File.ReadAllText(file);
            return Read(directory).Count == 1
                ? null
                : $"the file system of {Path.GetTempPath()} does not record access times (noatime), so a read cannot be told";
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
