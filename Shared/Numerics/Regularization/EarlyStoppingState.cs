namespace DistributedTrainer.Numerics.Regularization;

/// <summary>What <see cref="EarlyStopping"/> must carry across a checkpoint.</summary>
/// <param name="BestEpoch">Epoch of the best value so far; -1 before the first observation.</param>
/// <param name="BestValue">Best metric value so far; +∞ (minimize) or −∞ (maximize) before the first observation.</param>
/// <param name="EpochsWithoutImprovement">Observations since the last improvement.</param>
/// <param name="BestParameters">Parameters at the best epoch; null before the first observation.</param>
/// <param name="BestBuffers">Buffers (running statistics) at the best epoch; null before the first observation.</param>
public sealed record EarlyStoppingState(
    int BestEpoch,
    double BestValue,
    int EpochsWithoutImprovement,
    float[]? BestParameters,
    float[]? BestBuffers);
