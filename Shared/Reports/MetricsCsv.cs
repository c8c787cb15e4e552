using System.Globalization;
using System.Text;
using DistributedTrainer.Training;

namespace DistributedTrainer.Reports;

/// <summary>
/// Per-epoch metrics as CSV (one header row, one row per epoch, invariant culture; an empty cell is a metric the
/// run does not have, such as validation without a validation split or bits per character without TEXT data).
/// </summary>
public static class MetricsCsv
{
    /// <summary>The CSV text for <paramref name="epochs"/>.</summary>
    public static string Format(IEnumerable<EpochReport> epochs)
    {
        var text = new StringBuilder();
        text.AppendLine("epoch,step,train_loss,train_accuracy,validation_loss,validation_accuracy,test_loss,test_accuracy,learning_rate,samples_per_second,seconds,test_bits_per_character");
        foreach (var e in epochs)
        {
            text.AppendLine(string.Join(',',
                e.Epoch.ToString(CultureInfo.InvariantCulture),
                e.Step.ToString(CultureInfo.InvariantCulture),
                Number(e.TrainLoss), Number(e.TrainAccuracy), Number(e.ValidationLoss), Number(e.ValidationAccuracy),
                Number(e.TestLoss), Number(e.TestAccuracy), Number(e.LearningRate), Number(e.SamplesPerSecond),
                Number(e.Seconds), Number(e.TestBitsPerCharacter)));
        }
        return text.ToString();
    }

    private static string Number(double value) =>
        double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);
}
