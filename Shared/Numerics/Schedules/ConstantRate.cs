namespace DistributedTrainer.Numerics.Schedules;

/// <summary>The same learning rate at every step.</summary>
public sealed class ConstantRate : LearningRateSchedule
{
    private readonly float _rate;

    /// <param name="rate">The learning rate; finite and &gt;= 0.</param>
    public ConstantRate(float rate)
    {
        ScheduleCheck.AtLeastZero("learning_rate", rate);
        _rate = rate;
    }

    /// <inheritdoc/>
    public override float RateAt(long step) => _rate;
}
