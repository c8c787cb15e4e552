namespace DistributedTrainer.Sweeps;

/// <summary>The NONE scheduler: every trial runs all its epochs.</summary>
public sealed class NoStoppingScheduler : ITrialScheduler
{
    /// <inheritdoc />
    public string? Report(int trial, int epoch, double value) => null;
}
