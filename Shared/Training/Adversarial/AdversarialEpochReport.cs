namespace DistributedTrainer.Training.Adversarial;

/// <summary>The end of an epoch of a GAN run.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Critic updates done.</param>
/// <param name="GeneratorStep">Generator updates done.</param>
/// <param name="DiscriminatorLoss">Mean discriminator loss per real sample over the epoch.</param>
/// <param name="GeneratorLoss">Mean generator loss per noise vector over the epoch; NaN when it had no generator update.</param>
/// <param name="DiscriminatorLearningRate">The discriminator's rate at its last update.</param>
/// <param name="GeneratorLearningRate">The generator's rate at its last update.</param>
/// <param name="SamplesPerSecond">Real samples per second of training.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
/// <param name="Grid">Samples from the fixed grid noise after the epoch.</param>
public sealed record AdversarialEpochReport(int Epoch, long Step, long GeneratorStep, double DiscriminatorLoss,
    double GeneratorLoss, float DiscriminatorLearningRate, float GeneratorLearningRate, double SamplesPerSecond,
    double Seconds, SampleGrid Grid);
