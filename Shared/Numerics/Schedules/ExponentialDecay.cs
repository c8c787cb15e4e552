namespace DistributedTrainer.Numerics.Schedules;

/// <summary><c>lr · gamma^step</c>, as torch.optim.lr_scheduler.ExponentialLR stepped once per optimizer step.</summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    private readonly double _rate;
    private readonly double _gamma;

    /// <param name="rate">Base learning rate; finite and &gt;= 0.</param>
    /// <param name="gamma">Multiplier per optimizer step, in (0, 1].</param>
    public ExponentialDecay(float rate, float gamma)
    {
        ScheduleCheck.AtLeastZero("learning_rate", rate);
        ScheduleCheck.Multiplier("gamma", gamma);
        _rate = rate;
        _gamma = gamma;
    }

    /// <inheritdoc/>
    public override float RateAt(long step) => (float)(_rate * Math.Pow(_gamma, step));
}
