using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DistributedTrainer.Tests.Worker;

/// <summary>The built Worker (beside the test assembly) as a child process; killed on dispose if still running.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private WorkerProcess(Process process) => _process = process;

    /// <summary>The address from the "listening on" line.</summary>
    public Uri Address { get; private set; } = null!;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

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

    /// <summary>Starts a worker and waits for its "listening on URL" line.</summary>
    public static async Task<WorkerProcess> StartAsync(params string[] arguments)
    {
        var result = new WorkerProcess(Start(arguments));
        try
        {
            result.Address = await ListeningAddress.ReadAsync(result._process, result._stderr, "Worker");
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Runs a worker that is expected to exit by itself (bad flags); returns its exit code and stderr.</summary>
    public static (int ExitCode, string Stderr) Run(TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(arguments);
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Worker {string.Join(' ', arguments)} did not exit in {timeout}.");
        }
        return (process.ExitCode, stderr.Result);
    }

    /// <summary>Sends SIGTERM, as Kubernetes and trainctl do, and waits for the exit.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        return _process.WaitForExit(timeout);
    }

    private static Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Worker.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return Process.Start(start)!;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
