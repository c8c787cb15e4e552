using DistributedTrainer.Client.Local;
using Xunit;

namespace DistributedTrainer.Tests.Client.Local;

public sealed class ClusterExecutablesTests
{
    [Fact]
    public void Candidates_RepositoryBuildOutput_ListsBesideThenSiblingProjectOutput()
    {
        string root = Path.Combine(Path.GetTempPath(), "repo");

        var candidates = ClusterExecutables.Candidates("Worker", Path.Combine(root, "Client", "bin", "Release", "net10.0"));

        Assert.Equal(
            [Path.Combine(root, "Client", "bin", "Release", "net10.0", "Worker.dll"), Path.Combine(root, "Worker", "bin", "Release", "net10.0", "Worker.dll")],
            candidates);
    }

    [Fact]
    public void Candidates_OutsideABinFolder_ListsOnlyBeside()
    {
        string directory = Path.Combine(Path.GetTempPath(), "opt", "trainctl");

        var candidates = ClusterExecutables.Candidates("Coordinator", directory);

        Assert.Equal([Path.Combine(directory, "Coordinator.dll")], candidates);
    }

    [Fact]
    public void Locate_BesideTheTestAssembly_FindsBoth()
    {
        var executables = ClusterExecutables.Locate(AppContext.BaseDirectory);

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "Coordinator.dll"), executables.Coordinator);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "Worker.dll"), executables.Worker);
    }

    [Fact]
    public void Locate_NotBuilt_ThrowsNamingWhereItLookedAndHowToBuild()
    {
        string empty = Directory.CreateTempSubdirectory("dt-executables-").FullName;
        try
        {
            var missing = Assert.Throws<FileNotFoundException>(() => ClusterExecutables.Locate(empty));

            Assert.Contains(Path.Combine(empty, "Coordinator.dll"), missing.Message, StringComparison.Ordinal);
            Assert.Contains("dotnet build Coordinator", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }
}
