using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>The built Coordinator (beside the test assembly) as a child process on a free loopback port.</summary>
internal sealed class CoordinatorProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private CoordinatorProcess(Process process) => _process = process;

    /// <summary>The address from the "listening on" line.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>What the coordinator wrote to stderr (its logs) so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a coordinator on <paramref name="stateDirectory"/>, reading job data from the directory that holds it (where
    /// the tests write their data), and waits for its "listening on URL" line.
    /// </summary>
    public static Task<CoordinatorProcess> StartAsync(string stateDirectory, params string[] extraArguments) =>
        StartOnPortAsync(stateDirectory, 0, extraArguments);

    /// <summary>As <see cref="StartAsync"/>, on <paramref name="port"/> (a restart where the workers look for it).</summary>
    public static async Task<CoordinatorProcess> StartOnPortAsync(string stateDirectory, int port, params string[] extraArguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Coordinator.dll"));
        foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--state-dir", stateDirectory, "--data-root", Path.GetDirectoryName(Path.GetFullPath(stateDirectory))! }
            .Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        var result = new CoordinatorProcess(process);
        try
        {
            result.Address = await ListeningAddress.ReadAsync(process, result._stderr, "Coordinator");
            return result;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The exit code; valid once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Sends SIGTERM, as Kubernetes and trainctl do; true when the process exited within <paramref name="timeout"/>.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        return _process.WaitForExit(timeout);
    }

    /// <summary>Ends the process at once, as a crash would.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
    }
}
