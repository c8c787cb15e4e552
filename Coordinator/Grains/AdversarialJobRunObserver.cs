using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Sends a GAN run's progress to its grain without waiting, as <see cref="JobRunObserver"/> does for other jobs; the
/// files (metrics.csv, the sample grids, TensorBoard) are written by the <see cref="Reports.AdversarialOutputs"/> that
/// wraps it, as in <c>trainctl train</c>.
/// </summary>
internal sealed class AdversarialJobRunObserver(JobRunReports reports, string checkpointDirectory) : IAdversarialObserver
{
    public void OnStep(AdversarialStepReport report) => reports.Step(JobMetrics.FromReport(report));

    public void OnEpoch(AdversarialEpochReport report) =>
        reports.Epoch(JobMetrics.FromReport(report), JobRunObserver.NewestCheckpoint(checkpointDirectory));

    public void OnEvent(string message) => _ = reports.Event(message);
}
