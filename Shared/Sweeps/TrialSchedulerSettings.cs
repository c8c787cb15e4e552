using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// A sweep's scheduler with its defaults applied: <paramref name="GracePeriod"/> epochs before any stop,
/// <paramref name="ReductionFactor"/> and <paramref name="MaxEpochs"/> for ASHA (<paramref name="MaxEpochs"/> is also
/// the epochs every trial is given), <paramref name="MinTrials"/> for median stopping.
/// </summary>
public sealed record TrialSchedulerSettings(SchedulerSpec.Types.Kind Kind, int GracePeriod, int ReductionFactor, int MaxEpochs, int MinTrials)
{
    /// <summary>A fresh scheduler of this kind, with nothing recorded.</summary>
    public ITrialScheduler Create(SweepObjective objective) => Kind switch
    {
        SchedulerSpec.Types.Kind.Asha => new AshaScheduler(objective, GracePeriod, ReductionFactor, MaxEpochs),
        SchedulerSpec.Types.Kind.MedianStopping => new MedianStoppingScheduler(objective, GracePeriod, MinTrials),
        _ => new NoStoppingScheduler(),
    };
}
