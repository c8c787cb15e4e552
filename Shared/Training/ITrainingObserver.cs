namespace DistributedTrainer.Training;

/// <summary>Receives progress from a training run; called on the training thread, so keep it quick.</summary>
public interface ITrainingObserver
{
    /// <summary>After every optimizer step.</summary>
    void OnStep(StepReport report);

    /// <summary>After every epoch's evaluation.</summary>
    void OnEpoch(EpochReport report);

    /// <summary>Notable events: a skipped step, a checkpoint written, early stopping, a resume.</summary>
    void OnEvent(string message);
}
