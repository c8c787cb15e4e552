using System.Text.Json;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Client.Output;

/// <summary>The one-object summary `--json` prints on stdout for scripts.</summary>
internal static class SummaryJson
{
    public static string Format(TrainingSummary summary, string outputDirectory)
    {
        var fields = new Dictionary<string, object?>
        {
            ["test_accuracy"] = summary.TestAccuracy,
            ["test_loss"] = summary.TestLoss,
            ["epochs"] = summary.Epochs,
            ["steps"] = summary.Steps,
            ["train_samples_per_second"] = Math.Round(summary.TrainSamplesPerSecond, 1),
            ["wall_seconds"] = Math.Round(summary.WallSeconds, 3),
            ["stopped_early"] = summary.StoppedEarly,
            ["checkpoint"] = summary.Checkpoint,
            ["output_directory"] = outputDirectory,
        };
        if (!double.IsNaN(summary.TestBitsPerCharacter))
        {
            fields["test_bits_per_character"] = summary.TestBitsPerCharacter;
        }
        return JsonSerializer.Serialize(fields);
    }

    /// <summary>A GAN run's summary; a loss is null before the first epoch ended.</summary>
    public static string Format(AdversarialSummary summary, string outputDirectory)
    {
        var fields = new Dictionary<string, object?>
        {
            ["discriminator_loss"] = double.IsNaN(summary.DiscriminatorLoss) ? null : summary.DiscriminatorLoss,
            ["generator_loss"] = double.IsNaN(summary.GeneratorLoss) ? null : summary.GeneratorLoss,
            ["epochs"] = summary.Epochs,
            ["steps"] = summary.Steps,
            ["generator_steps"] = summary.GeneratorSteps,
            ["wall_seconds"] = Math.Round(summary.WallSeconds, 3),
            ["checkpoint"] = summary.Checkpoint,
            ["output_directory"] = outputDirectory,
        };
        return JsonSerializer.Serialize(fields);
    }
}
