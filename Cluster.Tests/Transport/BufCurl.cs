using System.Diagnostics;

namespace DistributedTrainer.Tests.Transport;

/// <summary><c>buf curl</c> as a second standard client (it finds methods through server reflection), when installed.</summary>
internal static class BufCurl
{
    /// <summary>The buf executable on PATH; null when there is none.</summary>
    public static readonly string? Executable = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, "buf"))
        .FirstOrDefault(File.Exists);

    public const string SkipReason = "buf is not installed (no 'buf' on PATH); the grpcio reflection and health cases in PythonClientInteropTests cover standard clients";

    /// <summary>Runs <c>buf curl ARGUMENTS</c>; returns its exit code and standard output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable ?? throw new InvalidOperationException(SkipReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("curl");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }
}
