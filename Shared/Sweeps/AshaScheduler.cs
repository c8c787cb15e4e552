using System.Globalization;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter Tuning", 2018), as Ray
/// Tune's ASHAScheduler: rung k sits at epoch grace_period · reduction_factor^k, for every such epoch below max_epochs.
/// A trial reaching a rung it has not been recorded at is compared with the trials recorded there before it: it stops
/// when its metric is worse than the (1 - 1/reduction_factor) quantile of theirs (linear interpolation, as numpy's
/// percentile), i.e. when it is not in their best 1/reduction_factor; then it is recorded. Only the highest rung
/// reached is checked per report, so a trial resumed past several rungs is judged once.
/// </summary>
public sealed class AshaScheduler : ITrialScheduler
{
    private readonly SweepObjective _objective;
    private readonly int _reductionFactor;
    // Rungs from the highest milestone down, each with the scores (larger is better) recorded at it.
    private readonly List<(int Rung, int Milestone, Dictionary<int, double> Recorded)> _rungs = [];

    /// <summary>A scheduler with nothing recorded.</summary>
    /// <exception cref="ArgumentOutOfRangeException">grace period below 1, reduction factor below 2, or max epochs below the grace period.</exception>
    public AshaScheduler(SweepObjective objective, int gracePeriod, int reductionFactor, int maxEpochs)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentOutOfRangeException.ThrowIfLessThan(gracePeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(reductionFactor, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEpochs, gracePeriod);
        (_objective, _reductionFactor) = (objective, reductionFactor);
        long milestone = gracePeriod;
        for (int rung = 0; milestone < maxEpochs; rung++, milestone *= reductionFactor)
        {
            _rungs.Insert(0, (rung, (int)milestone, new Dictionary<int, double>()));
        }
    }

    /// <summary>The epochs at which trials are compared, lowest first.</summary>
    public IReadOnlyList<int> Milestones => [.. _rungs.Select(rung => rung.Milestone).Reverse()];

    /// <inheritdoc />
    public string? Report(int trial, int epoch, double value)
    {
        double score = _objective.Score(value);
        foreach (var (rung, milestone, recorded) in _rungs)
        {
            if (epoch < milestone || recorded.ContainsKey(trial))
            {
                continue;
            }
            string? reason = null;
            if (recorded.Count > 0)
            {
                double cutoff = Percentile([.. recorded.Values], (1 - (1.0 / _reductionFactor)) * 100);
                if (score < cutoff)
                {
                    reason = $"stopped by ASHA at epoch {epoch}: rung {rung} cut-off {Show(_objective.Score(cutoff))}, trial {Show(value)}";
                }
            }
            recorded[trial] = score;
            return reason;
        }
        return null;
    }

    /// <summary>The <paramref name="percent"/> percentile of <paramref name="values"/> with linear interpolation between ranks (numpy's default).</summary>
    internal static double Percentile(double[] values, double percent)
    {
        Array.Sort(values);
        double rank = percent / 100 * (values.Length - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, values.Length - 1);
        return values[below] + ((rank - below) * (values[above] - values[below]));
    }

    internal static string Show(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
