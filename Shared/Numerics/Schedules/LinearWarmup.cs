namespace DistributedTrainer.Numerics.Schedules;

/// <summary>
/// Linear warm-up in front of any schedule: <c>inner(step) · (step + 1) / warmupSteps</c> for the first
/// <c>warmupSteps</c> steps, then <c>inner(step)</c>. The first step already moves (1/warmupSteps of the rate,
/// as torch.optim.lr_scheduler.LinearLR with start_factor 1/warmupSteps) and step warmupSteps - 1 reaches the
/// full rate. The inner schedule keeps its own clock (a cosine over the whole job is scaled, not delayed), and
/// receives the epoch callbacks and checkpoint state.
/// </summary>
public sealed class LinearWarmup : LearningRateSchedule
{
    private readonly LearningRateSchedule _inner;
    private readonly long _warmupSteps;

    /// <param name="inner">The schedule being warmed up.</param>
    /// <param name="warmupSteps">Optimizer steps of warm-up; &gt; 0.</param>
    public LinearWarmup(LearningRateSchedule inner, long warmupSteps)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ScheduleCheck.Positive("warmup_steps", warmupSteps);
        _inner = inner;
        _warmupSteps = warmupSteps;
    }

    /// <inheritdoc/>
    public override float RateAt(long step)
    {
        float rate = _inner.RateAt(step);
        return step >= _warmupSteps ? rate : (float)(rate * ((step + 1.0) / _warmupSteps));
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(double validationLoss) => _inner.OnEpochEnd(validationLoss);

    /// <inheritdoc/>
    public override double[] SaveState() => _inner.SaveState();

    /// <inheritdoc/>
    public override void LoadState(double[] state) => _inner.LoadState(state);
}
