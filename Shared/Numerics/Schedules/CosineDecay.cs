namespace DistributedTrainer.Numerics.Schedules;

/// <summary>
/// Half a cosine from <c>lr</c> down to <c>minLr</c>: <c>minLr + (lr - minLr)(1 + cos(π·step/totalSteps))/2</c>,
/// the closed form of torch.optim.lr_scheduler.CosineAnnealingLR (T_max = totalSteps, eta_min = minLr).
/// Unlike torch, which climbs back up after T_max, the rate stays at <c>minLr</c> from <c>totalSteps</c> on.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    private readonly double _rate;
    private readonly long _totalSteps;
    private readonly double _minimum;

    /// <param name="rate">Base learning rate; finite and &gt;= 0.</param>
    /// <param name="totalSteps">Optimizer steps over which the rate falls; &gt; 0.</param>
    /// <param name="minLr">Final rate, in [0, rate].</param>
    public CosineDecay(float rate, long totalSteps, float minLr)
    {
        ScheduleCheck.AtLeastZero("learning_rate", rate);
        ScheduleCheck.Positive("total_steps", totalSteps);
        ScheduleCheck.AtLeastZero("min_lr", minLr);
        if (minLr > rate)
        {
            throw ScheduleCheck.Invalid("min_lr", minLr, $"must not exceed the learning rate {rate}");
        }
        _rate = rate;
        _totalSteps = totalSteps;
        _minimum = minLr;
    }

    /// <inheritdoc/>
    public override float RateAt(long step)
    {
        double progress = (double)Math.Min(step, _totalSteps) / _totalSteps;
        return (float)(_minimum + ((_rate - _minimum) * (1.0 + Math.Cos(Math.PI * progress)) / 2.0));
    }
}
