namespace DistributedTrainer.Training;

/// <summary>The outcome of a whole training run, as `trainctl train --json` prints it.</summary>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="Steps">Optimizer steps completed.</param>
/// <param name="TestAccuracy">Test accuracy of the final (or, with early stopping, the restored best) parameters.</param>
/// <param name="TestLoss">Test loss of the same parameters.</param>
/// <param name="TrainSamplesPerSecond">Training samples per second over all epochs, evaluation excluded.</param>
/// <param name="WallSeconds">Wall time of the run.</param>
/// <param name="StoppedEarly">True when early stopping ended the run.</param>
/// <param name="Checkpoint">Directory of the last checkpoint written, if any.</param>
public sealed record TrainingSummary(int Epochs, long Steps, double TestAccuracy, double TestLoss,
    double TrainSamplesPerSecond, double WallSeconds, bool StoppedEarly, string? Checkpoint)
{
    /// <summary>A TEXT model's test loss in bits per character; NaN for other data.</summary>
    public double TestBitsPerCharacter { get; init; } = double.NaN;
}
