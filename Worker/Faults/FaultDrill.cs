using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DistributedTrainer.Worker.Faults;

/// <summary>
/// Carries out a worker's <see cref="WorkerFaults"/> in its steps: the slowdown after each computation, the wait that
/// stands for it, and the exit in the step it is due. The ring faults act in <see cref="FaultyRingTransport"/>.
/// </summary>
internal sealed partial class FaultDrill(WorkerFaults faults)
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
        await WaitAsync(computed * (Faults.SlowFactor - 1), cancellationToken);
    }

    /// <summary>
    /// Waits <paramref name="duration"/> as closely as this machine's timers allow: a timer for the bulk, then spinning.
    /// </summary>
    private static async Task WaitAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
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
    /// Blocks the calling thread for <paramref name="duration"/>, the <c>compute=US</c> stand-in for a step's
    /// computation: blocking, as the kernels block the thread they run on, and without spinning, so that workers
    /// sharing a core do not take it from one another. Linux's nanosleep wakes within tens of microseconds; elsewhere
    /// the sleep is rounded to whole milliseconds.
    /// </summary>
    public static void StandInForComputation(TimeSpan duration)
    {
        if (!OperatingSystem.IsLinux())
        {
            Thread.Sleep(duration);
            return;
        }
        var request = new TimeSpec(duration.Ticks / TimeSpan.TicksPerSecond, duration.Ticks % TimeSpan.TicksPerSecond * 100);
        // nanosleep returns early with the time left when a signal interrupts it; sleep that out too.
        while (NanoSleep(request, out var remaining) != 0 && (remaining.Seconds > 0 || remaining.Nanoseconds > 0))
        {
            request = remaining;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TimeSpec(long Seconds, long Nanoseconds);

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static partial int NanoSleep(in TimeSpec request, out TimeSpec remaining);

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
