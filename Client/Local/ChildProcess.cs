using System.Diagnostics;
using System.Runtime.InteropServices;
using DistributedTrainer.Transport;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// One process `trainctl local` started (`dotnet NAME.dll ...`): its stdout and stderr go to a log file, the last stderr
/// lines are kept for the error message when it dies, and its "listening on URL" line gives its address.
/// </summary>
/// <remarks>
/// On Linux the child is started through util-linux <c>setpriv --pdeathsig KILL</c>, so the kernel kills it when
/// trainctl dies without cleaning up (SIGKILL, a crash). The death signal fires when the forking thread exits, so
/// children must be started from a thread that lives as long as trainctl (<see cref="LocalCluster"/> starts them
/// from the main thread).
/// </remarks>
internal sealed partial class ChildProcess : IDisposable
{
    private const string ListeningPrefix = ServerProcess.ListeningPrefix;
    private const int KeptStderrLines = 20;
    private const string Setpriv = "/usr/bin/setpriv";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _stderrTail = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _logClosed;
    private volatile Uri? _dashboard;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        Exited = WaitForExitCodeAsync();
    }

    /// <summary>The name in messages and the log file name: "coordinator", "worker-1", ...</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public string LogPath { get; }

    /// <summary>The web dashboard's address, from its "dashboard on URL" line (a coordinator started with --dashboard-port); null before or without one.</summary>
    public Uri? DashboardAddress => _dashboard;

    /// <summary>Completes with the exit code when the process has exited.</summary>
    public Task<int> Exited { get; }

    /// <summary>
    /// Starts <c>dotnet <paramref name="assembly"/> <paramref name="arguments"/></c>, logging to <paramref name="logPath"/>,
    /// with <paramref name="environment"/> added to this process's environment.
    /// </summary>
    public static ChildProcess Start(string name, string assembly, IEnumerable<string> arguments, string logPath,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable] = value;
        }
        if (OperatingSystem.IsLinux() && File.Exists(Setpriv))
        {
            start.FileName = Setpriv;
            foreach (var argument in new[] { "--pdeathsig", "KILL", "--", "dotnet" })
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = "dotnet";
        }
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{name}: could not start {start.FileName}");
        }
        catch
        {
            log.Dispose();
            throw;
        }
        var child = new ChildProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, line) => child.OnStdout(line.Data);
        process.ErrorDataReceived += (_, line) => child.OnStderr(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Blocks until the child printed "listening on URL", and returns the URL.</summary>
    /// <exception cref="ChildProcessException">It exited first, printed something else first, or <paramref name="deadline"/> passed.</exception>
    public Uri WaitForAddress(TimeSpan deadline)
    {
        int finished = Task.WaitAny([_listening.Task, Exited], deadline);
        if (finished == 0)
        {
            return _listening.Task.GetAwaiter().GetResult();
        }
        if (finished == 1)
        {
            throw new ChildProcessException(Describe($"exited with code {Exited.Result} before it was listening"));
        }
        throw new ChildProcessException(Describe($"did not print '{ListeningPrefix}URL' within {deadline.TotalSeconds:F0} s"));
    }

    /// <summary>What happened to the child, with its last stderr lines and its log file.</summary>
    public string Describe(string what)
    {
        string[] tail;
        lock (_stderrTail)
        {
            tail = [.. _stderrTail];
        }
        string lines = tail.Length == 0 ? " (no stderr output)" : ", last stderr lines:" + string.Concat(tail.Select(line => "\n  " + line));
        return $"{Name} (pid {Id}) {what}{lines}\n  full log: {LogPath}";
    }

    /// <summary>
    /// Asks the child to stop (SIGTERM: the coordinator and workers then close their servers and flush their span and
    /// metric files); a no-op where there are no signals or the child has exited.
    /// </summary>
    public void RequestStop()
    {
        if (OperatingSystem.IsLinux() && !_process.HasExited)
        {
            _ = SendSignal(_process.Id, Sigterm);
        }
    }

    /// <summary>
    /// Waits up to <paramref name="grace"/> for the child to exit, then kills it (and anything it started) and reaps it;
    /// when it returns, <see cref="Exited"/> is complete.
    /// </summary>
    public void Stop(TimeSpan grace = default)
    {
        try
        {
            if (grace > TimeSpan.Zero)
            {
                _process.WaitForExit(grace);
            }
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        // Without a timeout, WaitForExit also waits until the output events are delivered, so the log is complete;
        // then Exited completes at once (its continuation may still be queued when WaitForExit returns).
        _process.WaitForExit();
        Exited.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }
    }

    private async Task<int> WaitForExitCodeAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        return _process.ExitCode;
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            return;
        }
        Write(line);
        if (line.StartsWith(ServerProcess.DashboardPrefix, StringComparison.Ordinal)
            && Uri.TryCreate(line[ServerProcess.DashboardPrefix.Length..].Trim(), UriKind.Absolute, out var dashboard))
        {
            _dashboard = dashboard;
        }
        if (!_listening.Task.IsCompleted && line.StartsWith(ListeningPrefix, StringComparison.Ordinal))
        {
            if (Uri.TryCreate(line[ListeningPrefix.Length..].Trim(), UriKind.Absolute, out var address))
            {
                _listening.TrySetResult(address);
            }
        }
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            return;
        }
        Write(line);
        lock (_stderrTail)
        {
            _stderrTail.Enqueue(line);
            if (_stderrTail.Count > KeptStderrLines)
            {
                _stderrTail.Dequeue();
            }
        }
    }

    private void Write(string line)
    {
        lock (_log)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private const int Sigterm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
