using System.Globalization;
using System.Text;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Reports;

/// <summary>A GAN run's per-epoch metrics as CSV (one header row, one row per epoch, invariant culture; an empty cell is a NaN).</summary>
public static class AdversarialMetricsCsv
{
    /// <summary>The CSV text for <paramref name="epochs"/>.</summary>
    public static string Format(IEnumerable<AdversarialEpochReport> epochs)
    {
        var text = new StringBuilder();
        text.AppendLine("epoch,step,generator_step,discriminator_loss,generator_loss,discriminator_learning_rate,generator_learning_rate,samples_per_second,seconds");
        foreach (var e in epochs)
        {
            text.AppendLine(string.Join(',',
                e.Epoch.ToString(CultureInfo.InvariantCulture),
                e.Step.ToString(CultureInfo.InvariantCulture),
                e.GeneratorStep.ToString(CultureInfo.InvariantCulture),
                Number(e.DiscriminatorLoss), Number(e.GeneratorLoss), Number(e.DiscriminatorLearningRate),
                Number(e.GeneratorLearningRate), Number(e.SamplesPerSecond), Number(e.Seconds)));
        }
        return text.ToString();
    }

    private static string Number(double value) =>
        double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);
}
