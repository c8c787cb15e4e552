namespace DistributedTrainer.Checkpoints;

/// <summary>Early stopping's progress, so a resumed job stops where the uninterrupted one would.</summary>
/// <param name="BestMetric">Best value of the watched metric so far (+infinity for a loss before the first epoch).</param>
/// <param name="BestEpoch">Epoch (0-based) that reached it; -1 before the first.</param>
/// <param name="BestStep">Optimizer step at the end of that epoch.</param>
/// <param name="EpochsWithoutImprovement">Epochs since then; stopping happens when it reaches the patience.</param>
public sealed record EarlyStoppingState(double BestMetric, int BestEpoch, long BestStep, int EpochsWithoutImprovement);
