namespace DistributedTrainer.Numerics.Schedules;

/// <summary>
/// <c>lr · gamma^floor(step / stepSize)</c>: the rate drops by <c>gamma</c> every <c>stepSize</c> optimizer
/// steps, as torch.optim.lr_scheduler.StepLR stepped once per optimizer step.
/// </summary>
public sealed class StepDecay : LearningRateSchedule
{
    private readonly double _rate;
    private readonly long _stepSize;
    private readonly double _gamma;

    /// <param name="rate">Base learning rate; finite and &gt;= 0.</param>
    /// <param name="stepSize">Optimizer steps between drops; &gt; 0.</param>
    /// <param name="gamma">Multiplier per drop, in (0, 1]; the job spec's default is 0.1.</param>
    public StepDecay(float rate, long stepSize, float gamma)
    {
        ScheduleCheck.AtLeastZero("learning_rate", rate);
        ScheduleCheck.Positive("step_size", stepSize);
        ScheduleCheck.Multiplier("gamma", gamma);
        _rate = rate;
        _stepSize = stepSize;
        _gamma = gamma;
    }

    /// <inheritdoc/>
    public override float RateAt(long step) => (float)(_rate * Math.Pow(_gamma, step / _stepSize));
}
