using System.Text.Json;
using DistributedTrainer.Training;

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
}
