namespace DistributedTrainer.Tests.Jobs;

/// <summary>Finds files of the repository from the test output directory, wherever the build put it.</summary>
internal static class RepositoryRoot
{
    /// <summary>The directory holding DistributedTrainer.sln, found by walking up from the test binaries.</summary>
    public static string Directory { get; } = Find();

    /// <summary>Every job spec in examples/ (sweep specs, named sweep-*, aside), as paths relative to the repository root.</summary>
    public static IEnumerable<string> ExampleSpecs() => Examples().Where(path => !IsSweep(path));

    /// <summary>Every sweep spec in examples/ (sweep-*.yaml, sweep-*.json).</summary>
    public static IEnumerable<string> ExampleSweeps() => Examples().Where(IsSweep);

    private static IEnumerable<string> Examples() =>
        System.IO.Directory.EnumerateFiles(Path.Combine(Directory, "examples"))
            .Where(path => Path.GetExtension(path) is ".json" or ".yaml" or ".yml")
            .Select(path => Path.GetRelativePath(Directory, path))
            .Order(StringComparer.Ordinal);

    private static bool IsSweep(string path) => Path.GetFileName(path).StartsWith("sweep-", StringComparison.Ordinal);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DistributedTrainer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No DistributedTrainer.sln above {AppContext.BaseDirectory}");
    }
}
