using System.Globalization;

namespace DistributedTrainer.Numerics.Schedules;

/// <summary>
/// torch.optim.lr_scheduler.ReduceLROnPlateau (mode min, relative threshold, no cooldown): an epoch improves
/// when its validation loss is below <c>best · (1 - threshold)</c>; after more than <c>patience</c> epochs in a
/// row without improvement the rate becomes <c>max(rate · factor, minLr)</c> (skipped when that changes it by
/// 1e-8 or less) and the count restarts. The rate does not depend on the step.
/// </summary>
public sealed class ReduceOnPlateau : LearningRateSchedule
{
    /// <summary>torch's eps: reductions smaller than this are ignored.</summary>
    private const double MinimumChange = 1e-8;

    private readonly double _factor;
    private readonly int _patience;
    private readonly double _threshold;
    private readonly double _minimum;
    private double _rate;
    private double _best = double.PositiveInfinity;
    private int _badEpochs;

    /// <param name="rate">Starting learning rate; finite and &gt;= 0.</param>
    /// <param name="factor">Multiplier per reduction, in (0, 1); the job spec's default is 0.1.</param>
    /// <param name="patience">Epochs without improvement tolerated before a reduction; &gt;= 0 (0 reduces at the first).</param>
    /// <param name="threshold">Relative improvement that counts, &gt;= 0; the job spec's default is 1e-4.</param>
    /// <param name="minLr">The rate never goes below this; &gt;= 0.</param>
    public ReduceOnPlateau(float rate, float factor, int patience, float threshold, float minLr)
    {
        ScheduleCheck.AtLeastZero("learning_rate", rate);
        if (!(factor > 0 && factor < 1))
        {
            throw ScheduleCheck.Invalid("factor", factor, "must be in (0, 1)");
        }
        ScheduleCheck.NotNegative("patience", patience);
        ScheduleCheck.AtLeastZero("threshold", threshold);
        ScheduleCheck.AtLeastZero("min_lr", minLr);
        _rate = rate;
        _factor = factor;
        _patience = patience;
        _threshold = threshold;
        _minimum = minLr;
    }

    /// <inheritdoc/>
    public override float RateAt(long step) => (float)_rate;

    /// <inheritdoc/>
    public override void OnEpochEnd(double validationLoss)
    {
        // A NaN loss compares false, so it counts as an epoch without improvement, as in torch.
        if (validationLoss < _best * (1.0 - _threshold))
        {
            _best = validationLoss;
            _badEpochs = 0;
        }
        else
        {
            _badEpochs++;
        }
        if (_badEpochs > _patience)
        {
            double reduced = Math.Max(_rate * _factor, _minimum);
            if (_rate - reduced > MinimumChange)
            {
                _rate = reduced;
            }
            _badEpochs = 0;
        }
    }

    /// <summary>[current rate, best loss so far, epochs without improvement].</summary>
    public override double[] SaveState() => [_rate, _best, _badEpochs];

    /// <inheritdoc/>
    public override void LoadState(double[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 3)
        {
            throw new InvalidDataException(
                $"Plateau schedule state has {state.Length} values; expected 3 (rate, best loss, epochs without improvement).");
        }
        if (!(state[0] >= 0 && double.IsFinite(state[0])) || state[2] < 0 || state[2] != Math.Floor(state[2]))
        {
            throw new InvalidDataException(
                $"Plateau schedule state [{string.Join(", ", state.Select(v => v.ToString(CultureInfo.InvariantCulture)))}] is invalid: the rate must be finite and >= 0 and the epoch count a whole number >= 0.");
        }
        _rate = state[0];
        _best = state[1];
        _badEpochs = (int)state[2];
    }
}
