using System.Diagnostics;
using System.Globalization;

namespace DistributedTrainer.Bench.Soak;

/// <summary>
/// One Coordinator or Worker process of the soak: started with `dotnet NAME.dll ARGS`, its stdout and stderr appended
/// to a log file, signalled by pid (SIGKILL, SIGTERM, SIGSTOP, SIGCONT), and sampled from /proc.
/// </summary>
internal sealed class SoakProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource<bool> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SoakProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="dll"/> (beside Bench) with <paramref name="arguments"/>, logging to <paramref name="logPath"/>.</summary>
    public static SoakProcess Start(string dll, IEnumerable<string> arguments, string logPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        var result = new SoakProcess(process, log);
        process.OutputDataReceived += (_, line) => result.Write(line.Data, stdout: true);
        process.ErrorDataReceived += (_, line) => result.Write(line.Data, stdout: false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Waits for the "listening on" line; false when the process exited or <paramref name="limit"/> passed first.</summary>
    public async Task<bool> WaitListeningAsync(TimeSpan limit)
    {
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(_listening.Task, exited, Task.Delay(limit));
        return first == _listening.Task;
    }

    /// <summary>Sends <paramref name="signal"/> (KILL, TERM, STOP, CONT) to the process.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)]);
        kill?.WaitForExit();
    }

    /// <summary>Waits up to <paramref name="limit"/> for the exit; true when it exited.</summary>
    public bool WaitForExit(TimeSpan limit) => _process.WaitForExit(limit);

    /// <summary>Open file descriptors, threads and resident memory (MiB), from /proc; null once the process is gone.</summary>
    public (int Descriptors, int Threads, double RssMiB)? Sample()
    {
        try
        {
            int descriptors = Directory.GetFiles($"/proc/{Id}/fd").Length;
            int threads = 0;
            double rss = 0;
            foreach (string line in File.ReadLines($"/proc/{Id}/status"))
            {
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
                }
            }
            return (descriptors, threads, rss);
        }
        catch (Exception gone) when (gone is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Kills the process if it still runs (SIGCONT first, in case it is stopped) and reaps it.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal("CONT");
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private void Write(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }
        if (stdout && line.StartsWith("listening on ", StringComparison.Ordinal))
        {
            _listening.TrySetResult(true);
        }
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // A last line after the process was disposed.
            }
        }
    }
}
