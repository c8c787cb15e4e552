namespace DistributedTrainer.Training.Adversarial;

/// <summary>Receives a GAN run's progress (on the training thread).</summary>
public interface IAdversarialObserver
{
    /// <summary>After every critic update (and the generator update that followed it, if any).</summary>
    void OnStep(AdversarialStepReport report);

    /// <summary>After every epoch, with the samples of the fixed grid noise.</summary>
    void OnEpoch(AdversarialEpochReport report);

    /// <summary>A line worth showing (resume, skipped update, checkpoint written).</summary>
    void OnEvent(string message);
}
