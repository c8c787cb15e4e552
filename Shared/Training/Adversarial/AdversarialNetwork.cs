using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>One network of a GAN run with the central update that owns its optimizer and schedule.</summary>
/// <param name="Model">The network and its parameters.</param>
/// <param name="Updater">Its optimizer, schedule and update.</param>
public sealed record AdversarialNetwork(Model Model, ParameterUpdater Updater);
