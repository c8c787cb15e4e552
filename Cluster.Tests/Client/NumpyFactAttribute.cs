using System.Diagnostics;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>A fact that is skipped, saying why, where /usr/bin/python3 or Debian's python3-numpy is missing.</summary>
public sealed class NumpyFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists(Python))
        {
            return false;
        }
        using var process = Process.Start(new ProcessStartInfo(Python, ["-c", "import numpy"]) { RedirectStandardError = true })!;
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            return false;
        }
        return process.ExitCode == 0;
    });

    public NumpyFactAttribute()
    {
        if (!Available.Value)
        {
            Skip = "Debian's python3-numpy is not installed (/usr/bin/python3 -c 'import numpy' failed); apt-get install python3-numpy";
        }
    }
}
