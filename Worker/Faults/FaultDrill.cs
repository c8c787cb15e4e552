using System.Diagnostics;

namespace DistributedTrainer.Worker.Faults;

/// <summary>
/// Carries out a worker's <see cref="WorkerFaults"/> in its steps: the slowdown after each computation and the exit in
/// the step it is due. The ring faults act in <see cref="FaultyRingTransport"/>.
/// </summary>
internal sealed class FaultDrill(WorkerFaults faults)
{
    public WorkerFaults Faults { get; } = faults;

    // Timer waits end a millisecond or more late: the last stretch of a slowdown is spun, so that a step of a few
    // milliseconds is stretched by the factor asked for, not by several times it.
    private static readonly TimeSpan SpunTail = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Keeps the computation that took <paramref name="computed"/> busy until it has taken FACTOR times as long, as on a
    /// machine that computes FACTOR times slower; returns at once without a slowdown.
    /// </summary>
    public async Task StretchAsync(TimeSpan computed, CancellationToken cancellationToken)
    {
        if (Faults.SlowFactor <= 1)
        {
            return;
        }
        long end = Stopwatch.GetTimestamp() + (long)(computed.TotalSeconds * (Faults.SlowFactor - 1) * Stopwatch.Frequency);
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end);
        if (left > SpunTail)
        {
            await Task.Delay(left - SpunTail, cancellationToken);
        }
        while (Stopwatch.GetTimestamp() < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Thread.SpinWait(64);
        }
    }

    /// <summary>
    /// Kills this process with SIGKILL when <paramref name="step"/> is the step of the <c>exit@STEP</c> fault: nothing is
    /// flushed or closed, as when a machine is lost.
    /// </summary>
    public void ExitIfDue(long step)
    {
        if (Faults.ExitAtStep != step)
        {
            return;
        }
        // Straight to stderr: the console logger writes from a background queue that SIGKILL would cut short.
        Console.Error.WriteLine($"fault drill: killing this worker in step {step} (--fault exit@{step})");
        Console.Error.Flush();
        using var self = Process.GetCurrentProcess();
        self.Kill();
        // SIGKILL to oneself is delivered before kill(2) returns; should it ever not be, leave anyway.
        Environment.Exit(137);
    }
}
