using DistributedTrainer.Client.Local;
using Xunit;

namespace DistributedTrainer.Tests.Client.Local;

/// <summary>Runs the built Coordinator (beside the test assembly) as the child: a real process that prints "listening on".</summary>
public sealed class ChildProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-child-").FullName;

    private static string Coordinator => Path.Combine(AppContext.BaseDirectory, "Coordinator.dll");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void WaitForAddress_ChildListening_ReturnsItsLoopbackAddress()
    {
        using var child = ChildProcess.Start("coordinator", Coordinator, ["--port", "0", "--state-dir", Path.Combine(_directory, "state")],
            Path.Combine(_directory, "logs", "coordinator.log"));

        var address = child.WaitForAddress(Deadline);

        Assert.Equal("127.0.0.1", address.Host);
        Assert.NotEqual(0, address.Port);
    }

    [Fact]
    public void Stop_Running_ReapsTheChildAndKeepsItsLog()
    {
        string log = Path.Combine(_directory, "logs", "coordinator.log");
        using var child = ChildProcess.Start("coordinator", Coordinator, ["--port", "0", "--state-dir", Path.Combine(_directory, "state")], log);
        child.WaitForAddress(Deadline);

        child.Stop();

        Assert.True(child.Exited.IsCompleted);
        Assert.False(Directory.Exists($"/proc/{child.Id}"), $"pid {child.Id} is still present (a zombie if nobody reaped it)");
        Assert.Contains("listening on http://127.0.0.1:", File.ReadAllText(log), StringComparison.Ordinal);
    }

    [Fact]
    public void WaitForAddress_ChildExitsFirst_ThrowsWithExitCodeAndLastStderrLines()
    {
        // Without --state-dir the coordinator refuses to start: "Coordinator: Invalid arguments: --state-dir DIR is required", exit 2.
        using var child = ChildProcess.Start("coordinator", Coordinator, ["--port", "0"], Path.Combine(_directory, "coordinator.log"));

        var failure = Assert.Throws<ChildProcessException>(() => child.WaitForAddress(Deadline));

        Assert.Contains($"coordinator (pid {child.Id}) exited with code 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--state-dir DIR is required", failure.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_directory, "coordinator.log"), failure.Message, StringComparison.Ordinal);
    }
}
