using DistributedTrainer.Reports;
using DistributedTrainer.Training;

namespace DistributedTrainer.Client.Output;

/// <summary>
/// The files a run leaves in its output directory besides checkpoints: metrics.csv and curves.svg (rewritten
/// here), and TensorBoard event files under tensorboard/ (appended by the run's TensorBoardObserver).
/// </summary>
internal static class RunOutputs
{
    public const string MetricsFile = "metrics.csv";
    public const string CurvesFile = "curves.svg";
    public const string TensorBoardDirectory = "tensorboard";

    /// <summary>Rewrites both files with the epochs so far (atomically, so a reader never sees half a file).</summary>
    public static void Write(string directory, string title, IReadOnlyList<EpochReport> epochs)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, MetricsFile), MetricsCsv.Format(epochs));
        AtomicFile.WriteAllText(Path.Combine(directory, CurvesFile), TrainingCurvesSvg.Render(epochs, title));
    }
}
