using System.Globalization;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Client.Output;

/// <summary>A GAN run's progress for terminals, logs and pipes: one line per epoch and per event, nothing per step.</summary>
internal sealed class AdversarialProgress(TextWriter writer, int epochs) : IAdversarialObserver
{
    public void OnStep(AdversarialStepReport report)
    {
    }

    public void OnEpoch(AdversarialEpochReport e) => writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"epoch {e.Epoch}/{epochs}  discriminator loss {e.DiscriminatorLoss:F4}  generator loss {e.GeneratorLoss:F4}  steps {e.Step} (generator {e.GeneratorStep})  {e.SamplesPerSecond:F0} samples/s  {e.Seconds:F1} s"));

    public void OnEvent(string message) => writer.WriteLine(message);
}
