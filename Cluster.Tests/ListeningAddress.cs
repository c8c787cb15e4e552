using System.Diagnostics;
using System.Text;

namespace DistributedTrainer.Tests;

/// <summary>
/// The start-up handshake of the project's server processes (Coordinator, Worker): they print one
/// "listening on URL" line on stdout once they serve; their stderr is collected for failure messages.
/// </summary>
internal static class ListeningAddress
{
    private const string Prefix = "listening on ";

    /// <summary>
    /// Starts copying <paramref name="process"/>'s stderr into <paramref name="stderr"/> (locked on it) and waits up to
    /// 30 s for the address line; throws naming <paramref name="name"/>, its stdout line and stderr when it does not come.
    /// </summary>
    public static async Task<Uri> ReadAsync(Process process, StringBuilder stderr, string name)
    {
        process.ErrorDataReceived += (_, line) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(line.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            string collected;
            lock (stderr)
            {
                collected = stderr.ToString();
            }
            throw new InvalidOperationException($"{name} did not start: stdout '{line}', stderr {collected}");
        }
        return new Uri(line[Prefix.Length..]);
    }
}
