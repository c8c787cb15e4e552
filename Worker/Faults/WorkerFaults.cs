using System.Globalization;

namespace DistributedTrainer.Worker.Faults;

/// <summary>
/// Faults a worker injects into its own work, for tests and failure drills (<c>--fault</c>, repeatable):
/// <list type="bullet">
/// <item><c>drop-ring@STEP</c> silently drops every ring piece it would send from step STEP on (a worker that is alive
/// and answers, but whose peers never hear from it);</item>
/// <item><c>delay-ring=MS</c> holds every ring piece MS milliseconds before sending it (a slow link);</item>
/// <item><c>exit@STEP</c> kills the worker's own process (SIGKILL, no clean-up) in step STEP, after its gradients are
/// computed and before they are reduced: a machine lost mid-step;</item>
/// <item><c>slow=FACTOR</c> stretches every step's computation to FACTOR times its duration (a straggler: a shared or
/// throttled machine);</item>
/// <item><c>compute=US</c> replaces every step's computation by a wait of US microseconds, the gradient sums by fixed
/// ones shaped like a training step's (<see cref="StandInGradients"/>, seeded by the worker's rank) and every sample's
/// score by zero loss: the scaling benchmark's stand-in for a worker with a machine of its own, so that eight workers
/// fit on two cores and what is measured is the step's communication, not their contention.</item>
/// </list>
/// </summary>
/// <param name="DropRingFromStep">First step whose ring pieces are dropped; null drops none.</param>
/// <param name="RingDelay">Wait before every ring piece is sent; zero for none.</param>
/// <param name="ExitAtStep">The step in which the process kills itself; null never.</param>
/// <param name="SlowFactor">Computation takes this many times its duration; 1 is full speed.</param>
/// <param name="ComputeWait">The wait that stands for each step's computation; null computes.</param>
internal sealed record WorkerFaults(long? DropRingFromStep, TimeSpan RingDelay, long? ExitAtStep = null, double SlowFactor = 1,
    TimeSpan? ComputeWait = null)
{
    /// <summary>The longest <c>compute=US</c>: ten seconds, far beyond any step it stands for.</summary>
    public const int MaxComputeWaitMicroseconds = 10_000_000;

    /// <summary>The largest <c>slow=FACTOR</c>: slower than that, a worker is better dropped than balanced.</summary>
    public const double MaxSlowFactor = 100;

    /// <summary>No faults.</summary>
    public static WorkerFaults None { get; } = new(null, TimeSpan.Zero);

    /// <summary>True when the ring link must go through <see cref="FaultyRingTransport"/>.</summary>
    public bool HasRingFaults => DropRingFromStep is not null || RingDelay > TimeSpan.Zero;

    /// <summary>True when no fault is set.</summary>
    public bool IsNone => !HasRingFaults && ExitAtStep is null && SlowFactor == 1 && ComputeWait is null;

    /// <summary>Adds one <c>--fault</c> value to these faults.</summary>
    /// <exception cref="ArgumentException">The value is none of the five forms, or its number is out of range.</exception>
    public WorkerFaults With(string fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        if (Suffix(fault, "drop-ring@") is { } dropText && TryParseStep(dropText, out long dropStep))
        {
            return this with { DropRingFromStep = dropStep };
        }
        if (Suffix(fault, "delay-ring=") is { } delayText
            && int.TryParse(delayText, NumberStyles.None, CultureInfo.InvariantCulture, out int milliseconds)
            && milliseconds <= 600_000)
        {
            return this with { RingDelay = TimeSpan.FromMilliseconds(milliseconds) };
        }
        if (Suffix(fault, "exit@") is { } exitText && TryParseStep(exitText, out long exitStep))
        {
            return this with { ExitAtStep = exitStep };
        }
        if (Suffix(fault, "slow=") is { } slowText
            && double.TryParse(slowText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double factor)
            && factor >= 1 && factor <= MaxSlowFactor)
        {
            return this with { SlowFactor = factor };
        }
        if (Suffix(fault, "compute=") is { } waitText
            && int.TryParse(waitText, NumberStyles.None, CultureInfo.InvariantCulture, out int microseconds)
            && microseconds >= 1 && microseconds <= MaxComputeWaitMicroseconds)
        {
            return this with { ComputeWait = TimeSpan.FromMicroseconds(microseconds) };
        }
        throw new ArgumentException(
            $"Invalid --fault: '{fault}' (expected drop-ring@STEP, delay-ring=MS with MS at most 600000, exit@STEP, slow=FACTOR with FACTOR in [1, {MaxSlowFactor}] or compute=US with US in [1, {MaxComputeWaitMicroseconds}])");
    }

    private static string? Suffix(string fault, string prefix) =>
        fault.StartsWith(prefix, StringComparison.Ordinal) ? fault[prefix.Length..] : null;

    private static bool TryParseStep(string text, out long step) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out step);
}
