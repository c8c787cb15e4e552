using System.Globalization;

namespace DistributedTrainer.Worker.Faults;

/// <summary>
/// Faults a worker injects into its own ring traffic, for tests and failure drills (<c>--fault</c>):
/// <c>drop-ring@STEP</c> silently drops every piece it would send from step STEP on (a worker that is alive and
/// answers, but whose peers never hear from it); <c>delay-ring=MS</c> holds every piece MS milliseconds before
/// sending it (a slow link).
/// </summary>
/// <param name="DropFromStep">First step whose ring pieces are dropped; null drops none.</param>
/// <param name="Delay">Wait before every piece is sent; zero for none.</param>
internal sealed record RingFaults(long? DropFromStep, TimeSpan Delay)
{
    /// <summary>No faults.</summary>
    public static RingFaults None { get; } = new(null, TimeSpan.Zero);

    /// <summary>True when no fault is set.</summary>
    public bool IsNone => DropFromStep is null && Delay == TimeSpan.Zero;

    /// <summary>Adds one <c>--fault</c> value to these faults.</summary>
    /// <exception cref="ArgumentException">The value is not <c>drop-ring@STEP</c> or <c>delay-ring=MS</c>.</exception>
    public RingFaults With(string fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        const string drop = "drop-ring@";
        const string delay = "delay-ring=";
        if (fault.StartsWith(drop, StringComparison.Ordinal)
            && long.TryParse(fault.AsSpan(drop.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long step))
        {
            return this with { DropFromStep = step };
        }
        if (fault.StartsWith(delay, StringComparison.Ordinal)
            && int.TryParse(fault.AsSpan(delay.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int milliseconds)
            && milliseconds <= 600_000)
        {
            return this with { Delay = TimeSpan.FromMilliseconds(milliseconds) };
        }
        throw new ArgumentException($"Invalid --fault: '{fault}' (expected drop-ring@STEP or delay-ring=MS, MS at most 600000)");
    }
}
