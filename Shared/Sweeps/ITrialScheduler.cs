namespace DistributedTrainer.Sweeps;

/// <summary>
/// Decides, as trials report their epochs, which trials stop early. A scheduler's decisions depend only on the
/// reports it was given and their order, so a sweep restored after a restart replays its recorded reports to rebuild it.
/// </summary>
public interface ITrialScheduler
{
    /// <summary>
    /// Records that trial <paramref name="trial"/> reached <paramref name="value"/> of the objective metric at epoch
    /// <paramref name="epoch"/> (1-based); returns why it should stop now, or null to let it go on.
    /// </summary>
    string? Report(int trial, int epoch, double value);
}
