using System.Diagnostics;

namespace DistributedTrainer.Tests.Client;

/// <summary>Runs the built trainctl (beside the test assembly) as a child process and collects its output.</summary>
internal static class TrainctlProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "trainctl.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"trainctl {string.Join(' ', arguments)} did not finish in {timeout}.");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
