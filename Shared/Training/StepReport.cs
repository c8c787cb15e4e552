namespace DistributedTrainer.Training;

/// <summary>Progress after one optimizer step.</summary>
/// <param name="Epoch">Epoch number, from 1.</param>
/// <param name="Step">Optimizer steps done so far, this one included.</param>
/// <param name="SamplesDoneInEpoch">Training samples consumed in this epoch so far.</param>
/// <param name="SamplesPerEpoch">Training samples per epoch.</param>
/// <param name="Loss">Mean data loss of this step's batch.</param>
/// <param name="Update">What the central update did.</param>
public readonly record struct StepReport(int Epoch, long Step, int SamplesDoneInEpoch, int SamplesPerEpoch, double Loss,
    UpdateResult Update);
