using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Reports;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Sends a training run's progress to its grain without waiting (the grain applies reports in order), records it as
/// TensorBoard events, and keeps metrics.csv and curves.svg in the job directory current after every epoch.
/// </summary>
internal sealed class JobRunObserver(JobRunReports reports, string jobDirectory, string checkpointDirectory, string title,
    TensorBoardObserver tensorBoard) : ITrainingObserver
{
    private readonly List<EpochReport> _epochs = [];

    public void OnStep(StepReport report)
    {
        tensorBoard.OnStep(report);
        reports.Step(JobMetrics.FromReport(report));
    }

    public void OnEpoch(EpochReport report)
    {
        _epochs.Add(report);
        RunOutputs.Write(jobDirectory, title, _epochs);
        tensorBoard.OnEpoch(report);
        reports.Epoch(JobMetrics.FromReport(report), NewestCheckpoint(checkpointDirectory));
    }

    public void OnEvent(string message) => _ = reports.Event(message);

    /// <summary>The directory name of the newest checkpoint under <paramref name="directory"/>, or null.</summary>
    public static string? NewestCheckpoint(string directory) =>
        Directory.Exists(directory) && new CheckpointStore(directory).List() is [var newest, ..] ? Path.GetFileName(newest) : null;
}
