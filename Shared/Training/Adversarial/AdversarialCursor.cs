namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// Where a GAN run stands: with the seed it fixes every later sample, noise vector, mask and update, so a run
/// resumed from it continues exactly. Generator updates done are <see cref="Step"/> / critic_steps.
/// </summary>
/// <param name="Step">Critic updates done (the job's optimizer steps, one batch of real samples each).</param>
/// <param name="Epoch">Zero-based epoch in progress.</param>
/// <param name="SamplesDone">Real samples of this epoch's permutation already used.</param>
/// <param name="DiscriminatorLossSum">The discriminator's loss sum over this epoch's critic updates (real and generated halves).</param>
/// <param name="GeneratorLossSum">The generator's loss sum over this epoch's generator updates.</param>
/// <param name="GeneratorSamples">Noise vectors of this epoch's generator updates.</param>
public readonly record struct AdversarialCursor(long Step, int Epoch, int SamplesDone, double DiscriminatorLossSum,
    double GeneratorLossSum, long GeneratorSamples)
{
    /// <summary>The start of a run.</summary>
    public static AdversarialCursor Start { get; } = new(0, 0, 0, 0.0, 0.0, 0);
}
