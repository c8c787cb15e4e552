using System.Globalization;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Client.Output;

/// <summary>A GAN run's progress for terminals, logs and pipes: one line per epoch and per event, nothing per step.</summary>
internal sealed class AdversarialProgress(TextWriter writer, int epochs) : IAdversarialObserver
{
    public void OnStep(AdversarialStepReport report)
    {
    }

    public void OnEpoch(AdversarialEpochReport e) =>
        writer.WriteLine(Line(e.Epoch, epochs, e.DiscriminatorLoss, e.GeneratorLoss, e.Step, e.GeneratorStep, e.SamplesPerSecond, e.Seconds));

    /// <summary>The one-line text of a GAN epoch, also for a GAN job watched on a coordinator.</summary>
    public static string Line(int epoch, int epochs, double discriminatorLoss, double generatorLoss, long step, long generatorStep,
        double samplesPerSecond, double seconds) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {epoch}/{epochs}  discriminator loss {discriminatorLoss:F4}  generator loss {generatorLoss:F4}  steps {step} (generator {generatorStep})  {samplesPerSecond:F0} samples/s  {seconds:F1} s");

    public void OnEvent(string message) => writer.WriteLine(message);
}
