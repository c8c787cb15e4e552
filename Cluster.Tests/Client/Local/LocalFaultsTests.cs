using DistributedTrainer.Client.Local;
using Xunit;

namespace DistributedTrainer.Tests.Client.Local;

public sealed class LocalFaultsTests
{
    [Fact]
    public void Parse_WorkerAndCoordinatorDrills_GroupsByWorkerAndKeepsTheRestartStep()
    {
        var faults = LocalFaults.Parse(["2:exit@30", "2:delay-ring=5", "3:slow=2.5", "1:drop-ring@7", "coordinator:restart@100"], workers: 3);

        Assert.Equal(["exit@30", "delay-ring=5"], faults.Workers[2]);
        Assert.Equal(["slow=2.5"], faults.Workers[3]);
        Assert.Equal(100L, faults.CoordinatorRestartStep);
        Assert.Equal([1, 2], faults.LeavingWorkers.Order());
        Assert.Equal([2], faults.ExitingWorkers);
    }

    [Fact]
    public void Parse_Nothing_None()
    {
        var faults = LocalFaults.Parse([], workers: 2);

        Assert.Empty(faults.Workers);
        Assert.Null(faults.CoordinatorRestartStep);
        Assert.Empty(faults.LeavingWorkers);
    }

    [Theory]
    [InlineData("3:exit@2")]
    [InlineData("0:exit@2")]
    [InlineData("exit@2")]
    [InlineData("2:crash")]
    [InlineData("2:exit@-1")]
    [InlineData("2:slow=fast")]
    [InlineData("coordinator:restart@0")]
    [InlineData("coordinator:restart@x")]
    [InlineData("coordinator:restart@5", "coordinator:restart@6")]
    [InlineData("1:exit@2", "2:drop-ring@3")]
    public void Parse_Invalid_ThrowsNamingTheFlag(params string[] values)
    {
        var error = Assert.Throws<ArgumentException>(() => LocalFaults.Parse(values, workers: 2));

        Assert.StartsWith("--fault: ", error.Message, StringComparison.Ordinal);
    }
}
