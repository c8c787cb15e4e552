using System.Diagnostics;
using System.Globalization;

namespace DistributedTrainer.Worker.Registration;

/// <summary>
/// The coordinator's URL from a file that appears once the coordinator listens (<c>Worker --coordinator-file PATH</c>).
/// A coordinator started on port 0 has its address only once it binds; `trainctl local` starts the workers beside it,
/// so that their own start-up (runtime, host, JIT) overlaps the coordinator's, and writes the file (atomically) when the
/// coordinator prints its address.
/// </summary>
internal static class CoordinatorAddressFile
{
    // Short next to a process start-up of a second or more, and one stat per poll costs next to nothing.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Waits for <paramref name="path"/> and reads the URL it holds (surrounding white space ignored).</summary>
    /// <exception cref="TimeoutException">The file did not appear within <paramref name="timeout"/>.</exception>
    /// <exception cref="ArgumentException">The file does not hold an http:// or https:// URL.</exception>
    public static async Task<Uri> WaitAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        while (!File.Exists(path))
        {
            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"--coordinator-file {path}: no coordinator address written within {timeout.TotalSeconds:0.###} s"));
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        string text = await File.ReadAllTextAsync(path, cancellationToken);
        return WorkerOptions.ParseHttpUri($"--coordinator-file {path}", text.Trim());
    }
}
