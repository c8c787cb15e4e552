using System.Diagnostics;

namespace DistributedTrainer.Bench;

/// <summary>
/// Benchmarks that run this program again as child processes (ring ranks, scaling workers) and talk to them line by
/// line over stdin and stdout.
/// </summary>
internal static class ChildProcesses
{
    /// <summary>Starts <paramref name="fileName"/> with its stdin and stdout redirected.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
    }

    /// <summary>This program's command line head: the executable, then its assembly when run as `dotnet Bench.dll`.</summary>
    public static string[] Self()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        // Under `dotnet Bench.dll` the process is the dotnet host and the assembly path comes first.
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(ChildProcesses).Assembly.Location] : [process];
    }

    /// <summary>Reads the child's next line, which must start with <paramref name="prefix"/>.</summary>
    public static string ExpectLine(Process process, string prefix)
    {
        string line = process.StandardOutput.ReadLine()
            ?? throw new InvalidDataException($"process {process.Id} ended before printing '{prefix}'");
        return line.StartsWith(prefix, StringComparison.Ordinal)
            ? line
            : throw new InvalidDataException($"process {process.Id} printed '{line}', expected '{prefix}...'");
    }
}
