namespace DistributedTrainer.Training.Adversarial;

/// <summary>How a GAN run ended.</summary>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="Steps">Critic updates done.</param>
/// <param name="GeneratorSteps">Generator updates done.</param>
/// <param name="DiscriminatorLoss">The last epoch's mean discriminator loss (NaN before the first epoch ended).</param>
/// <param name="GeneratorLoss">The last epoch's mean generator loss (NaN before the first epoch ended).</param>
/// <param name="WallSeconds">Wall time of the run.</param>
/// <param name="Checkpoint">The last checkpoint written; null without a checkpoint directory.</param>
public sealed record AdversarialSummary(int Epochs, long Steps, long GeneratorSteps, double DiscriminatorLoss,
    double GeneratorLoss, double WallSeconds, string? Checkpoint);
