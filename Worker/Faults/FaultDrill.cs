using System.Diagnostics;

namespace DistributedTrainer.Worker.Faults;

/// <summary>
/// Carries out a worker's <see cref="WorkerFaults"/> in its steps: the slowdown after each computation and the exit in
/// the step it is due. The ring faults act in <see cref="FaultyRingTransport"/>.
/// </summary>
internal sealed class FaultDrill(WorkerFaults faults)
{
    public WorkerFaults Faults { get; } = faults;

    /// <summary>Waits out the slowdown after a computation that took <paramref name="computed"/>; at once without one.</summary>
    public Task StretchAsync(TimeSpan computed, CancellationToken cancellationToken) =>
        Faults.SlowFactor > 1 ? Task.Delay(computed * (Faults.SlowFactor - 1), cancellationToken) : Task.CompletedTask;

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
