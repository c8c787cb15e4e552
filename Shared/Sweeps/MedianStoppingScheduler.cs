namespace DistributedTrainer.Sweeps;

/// <summary>
/// The median stopping rule (Golovin et al., "Google Vizier", 2017, per epoch as Optuna's MedianPruner): from epoch
/// grace_period on, a trial whose metric at an epoch is worse than the median of the other trials' metric at that same
/// epoch stops, once at least min_trials other trials reported that epoch.
/// </summary>
public sealed class MedianStoppingScheduler : ITrialScheduler
{
    private readonly SweepObjective _objective;
    private readonly int _gracePeriod;
    private readonly int _minTrials;
    // Per epoch, the score (larger is better) each trial reported.
    private readonly Dictionary<int, Dictionary<int, double>> _byEpoch = [];

    /// <summary>A rule with nothing recorded.</summary>
    public MedianStoppingScheduler(SweepObjective objective, int gracePeriod, int minTrials)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minTrials, 1);
        (_objective, _gracePeriod, _minTrials) = (objective, gracePeriod, minTrials);
    }

    /// <inheritdoc />
    public string? Report(int trial, int epoch, double value)
    {
        if (!_byEpoch.TryGetValue(epoch, out var scores))
        {
            _byEpoch[epoch] = scores = [];
        }
        var others = scores.Where(pair => pair.Key != trial).Select(pair => pair.Value).ToArray();
        scores[trial] = _objective.Score(value);
        if (epoch < _gracePeriod || others.Length < _minTrials)
        {
            return null;
        }
        double median = AshaScheduler.Percentile(others, 50);
        return _objective.Score(value) < median
            ? $"stopped by median stopping at epoch {epoch}: median of {others.Length} trials {AshaScheduler.Show(_objective.Score(median))}, trial {AshaScheduler.Show(value)}"
            : null;
    }
}
