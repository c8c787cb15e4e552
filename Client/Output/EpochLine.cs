using System.Globalization;
using DistributedTrainer.Training;

namespace DistributedTrainer.Client.Output;

/// <summary>The one-line text of an epoch's results, shared by the plain and the terminal display.</summary>
internal static class EpochLine
{
    public static string Format(EpochReport e, int epochs)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"epoch {e.Epoch}/{epochs}  loss {e.TrainLoss:F4}  train {e.TrainAccuracy:P2}  test {e.TestAccuracy:P2} (loss {e.TestLoss:F4})");
        if (!double.IsNaN(e.TestBitsPerCharacter))
        {
            line += string.Create(CultureInfo.InvariantCulture, $"  test {e.TestBitsPerCharacter:F3} bits/char");
        }
        if (!double.IsNaN(e.ValidationAccuracy))
        {
            line += string.Create(CultureInfo.InvariantCulture, $"  validation {e.ValidationAccuracy:P2}");
        }
        return line + string.Create(CultureInfo.InvariantCulture,
            $"  lr {e.LearningRate:G3}  {e.SamplesPerSecond:F0} samples/s  {e.Seconds:F1} s");
    }
}
