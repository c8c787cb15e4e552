namespace DistributedTrainer.Training;

/// <summary>The results of one finished epoch.</summary>
/// <param name="Epoch">Epoch number, from 1.</param>
/// <param name="Step">Optimizer steps done so far.</param>
/// <param name="TrainLoss">Mean data loss over the epoch's training batches (as they were trained).</param>
/// <param name="TrainAccuracy">Fraction of training samples predicted correctly during the epoch.</param>
/// <param name="ValidationLoss">Mean loss on the validation split, or NaN without one.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation split, or NaN without one.</param>
/// <param name="TestLoss">Mean loss on the test set.</param>
/// <param name="TestAccuracy">Accuracy on the test set.</param>
/// <param name="LearningRate">Learning rate of the epoch's last step.</param>
/// <param name="SamplesPerSecond">Training samples per second of wall time, evaluation excluded.</param>
/// <param name="Seconds">Wall time of the epoch, evaluation included.</param>
public sealed record EpochReport(int Epoch, long Step, double TrainLoss, double TrainAccuracy, double ValidationLoss,
    double ValidationAccuracy, double TestLoss, double TestAccuracy, float LearningRate, double SamplesPerSecond,
    double Seconds)
{
    /// <summary>A TEXT model's test loss in bits per character (the loss in nats / ln 2); NaN for other data.</summary>
    public double TestBitsPerCharacter { get; init; } = double.NaN;
}
