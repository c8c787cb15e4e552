using DistributedTrainer.Training;

namespace DistributedTrainer.Diagnostics;

/// <summary>
/// Records the metrics of the training core's progress reports, so any trainer (single-process or the job
/// grain) feeds <see cref="TrainingMetrics"/> from the reports it already produces.
/// </summary>
public static class MetricsRecorder
{
    /// <summary>Records a step: its loss and the central update (learning rate, gradient norm, clip ratio, outcome).</summary>
    public static void OnStep(string jobId, in StepReport report)
    {
        TrainingMetrics.RecordLoss(jobId, report.Loss);
        UpdateResult update = report.Update;
        TrainingMetrics.RecordUpdate(jobId, update.LearningRate, update.GradientNorm, update.ClipScale, update.Applied);
    }

    /// <summary>Records an epoch: loss and accuracy per split (validation only when the job has one) and samples/s.</summary>
    public static void OnEpoch(string jobId, EpochReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        TrainingMetrics.RecordEvaluation(jobId, "train", report.TrainLoss, report.TrainAccuracy);
        if (!double.IsNaN(report.ValidationLoss))
        {
            TrainingMetrics.RecordEvaluation(jobId, "validation", report.ValidationLoss, report.ValidationAccuracy);
        }

        TrainingMetrics.RecordEvaluation(jobId, "test", report.TestLoss, report.TestAccuracy);
        TrainingMetrics.RecordSamplesPerSecond(jobId, null, report.SamplesPerSecond);
    }
}
