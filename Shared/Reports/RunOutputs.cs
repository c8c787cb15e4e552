using DistributedTrainer.Training;

namespace DistributedTrainer.Reports;

/// <summary>
/// The files a run (`trainctl train` or a coordinator job) leaves in its output directory besides checkpoints: metrics.csv and curves.svg (rewritten
/// here), and TensorBoard event files under tensorboard/ (appended by the run's TensorBoardObserver).
/// </summary>
public static class RunOutputs
{
    /// <summary>Per-epoch metrics as CSV.</summary>
    public const string MetricsFile = "metrics.csv";
    /// <summary>Loss and accuracy curves as SVG.</summary>
    public const string CurvesFile = "curves.svg";
    /// <summary>The TensorBoard log directory.</summary>
    public const string TensorBoardDirectory = "tensorboard";

    /// <summary>Rewrites both files with the epochs so far (atomically, so a reader never sees half a file).</summary>
    public static void Write(string directory, string title, IReadOnlyList<EpochReport> epochs)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, MetricsFile), MetricsCsv.Format(epochs));
        AtomicFile.WriteAllText(Path.Combine(directory, CurvesFile), TrainingCurvesSvg.Render(epochs, title));
    }
}
