namespace DistributedTrainer.Training.Adversarial;

/// <summary>One critic update of a GAN run and, when one followed it, the generator update.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Critic updates done, this one included.</param>
/// <param name="GeneratorStep">Generator updates done, this step's included.</param>
/// <param name="SamplesDoneInEpoch">Real samples of the epoch used so far.</param>
/// <param name="SamplesPerEpoch">Real samples in an epoch.</param>
/// <param name="DiscriminatorLoss">The discriminator's mean loss per real sample (real and generated halves summed).</param>
/// <param name="Discriminator">The discriminator's update.</param>
/// <param name="GeneratorLoss">The generator's mean loss per noise vector; NaN without a generator update.</param>
/// <param name="Generator">The generator's update; null when none followed this critic update.</param>
public readonly record struct AdversarialStepReport(int Epoch, long Step, long GeneratorStep, int SamplesDoneInEpoch,
    int SamplesPerEpoch, double DiscriminatorLoss, UpdateResult Discriminator, double GeneratorLoss, UpdateResult? Generator);
