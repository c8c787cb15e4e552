namespace DistributedTrainer.Numerics.Schedules;

/// <summary>1/t cooling: <c>lr / (1 + decay · step)</c>.</summary>
public sealed class InverseTimeDecay : LearningRateSchedule
{
    private readonly double _rate;
    private readonly double _decay;

    /// <param name="rate">Base learning rate; finite and &gt;= 0.</param>
    /// <param name="decay">Decay per optimizer step; finite and &gt; 0.</param>
    public InverseTimeDecay(float rate, float decay)
    {
        ScheduleCheck.AtLeastZero("learning_rate", rate);
        ScheduleCheck.AboveZero("decay", decay);
        _rate = rate;
        _decay = decay;
    }

    /// <inheritdoc/>
    public override float RateAt(long step) => (float)(_rate / (1.0 + (_decay * step)));
}
