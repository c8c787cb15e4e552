namespace DistributedTrainer.Training;

/// <summary>
/// Where a run stands: together with the seed this fixes every later sample, mask and update, so a run
/// resumed from it continues exactly.
/// </summary>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="Epoch">Zero-based epoch in progress.</param>
/// <param name="SamplesDone">Samples of this epoch's permutation already trained.</param>
/// <param name="EpochLossSum">Loss sum of this epoch's trained samples so far (for the epoch's report).</param>
/// <param name="EpochCorrect">Correct predictions of this epoch so far.</param>
public readonly record struct TrainingCursor(long Step, int Epoch, int SamplesDone, double EpochLossSum, long EpochCorrect)
{
    /// <summary>The start of a run.</summary>
    public static TrainingCursor Start { get; } = new(0, 0, 0, 0.0, 0);
}
