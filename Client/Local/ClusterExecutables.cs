namespace DistributedTrainer.Client.Local;

/// <summary>
/// Where the built Coordinator.dll and Worker.dll are for `trainctl local`. Client.csproj references both projects
/// with ReferenceOutputAssembly=false, so building trainctl builds them (same configuration) without making trainctl
/// load their assemblies. They are looked for in two places, first found wins:
/// 1. beside trainctl.dll: a published or installed layout that ships the three side by side, and the test output
///    (Cluster.Tests references all three);
/// 2. the repository's build output: trainctl runs from <c>Client/bin/CONFIG/TFM/</c>, so the others are in
///    <c>Coordinator/bin/CONFIG/TFM/</c> and <c>Worker/bin/CONFIG/TFM/</c> under the same root.
/// The relative path is used rather than copying their outputs beside trainctl because Coordinator and Worker are
/// ASP.NET apps with their own deps.json and runtimeconfig.json; copying would mix two apps' dependency files.
/// </summary>
internal sealed record ClusterExecutables(string Coordinator, string Worker)
{
    /// <summary>Finds both assemblies starting from <paramref name="baseDirectory"/> (trainctl's own directory).</summary>
    /// <exception cref="FileNotFoundException">One is in neither place; the message lists where it was looked for and how to build it.</exception>
    public static ClusterExecutables Locate(string baseDirectory) =>
        new(Find("Coordinator", baseDirectory), Find("Worker", baseDirectory));

    /// <summary>The places <paramref name="project"/>.dll is looked for, in order.</summary>
    public static IReadOnlyList<string> Candidates(string project, string baseDirectory)
    {
        string fileName = project + ".dll";
        var here = new DirectoryInfo(Path.GetFullPath(baseDirectory));
        var candidates = new List<string> { Path.Combine(here.FullName, fileName) };
        // here = ROOT/Client/bin/CONFIG/TFM
        if (here.Parent is { } configuration && configuration.Parent is { Name: "bin" } bin && bin.Parent?.Parent is { } root)
        {
            candidates.Add(Path.Combine(root.FullName, project, "bin", configuration.Name, here.Name, fileName));
        }
        return candidates;
    }

    private static string Find(string project, string baseDirectory)
    {
        var candidates = Candidates(project, baseDirectory);
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"{project}.dll not found (looked in {string.Join(", ", candidates)}); build it with `dotnet build {project}` "
            + "or build trainctl from the repository, which builds it too.", project + ".dll");
    }
}
