using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>trainctl against a coordinator child process that requires a bearer token.</summary>
public sealed class ClusterAuthCommandsTests : IAsyncLifetime
{
    private const string Token = "cli-token-5d2e";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-cluster-auth-").FullName;
    private CoordinatorProcess _coordinator = null!;

    public async Task InitializeAsync() =>
        _coordinator = await CoordinatorProcess.StartAsync(Path.Combine(_directory, "state"), "--token", Token);

    public Task DisposeAsync()
    {
        _coordinator.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void List_WithoutToken_ExitsWith4()
    {
        var result = TrainctlProcess.Run(Timeout, "list", "--coordinator", _coordinator.Address.ToString());

        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public void List_WithToken_ExitsWith0()
    {
        var result = TrainctlProcess.Run(Timeout, "list", "--coordinator", _coordinator.Address.ToString(), "--token", Token);

        Assert.True(result.ExitCode == 0, result.Stderr);
    }
}
