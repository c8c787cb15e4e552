using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>Maps the trainer's reports to the Jobs API messages.</summary>
internal static class JobMetrics
{
    public static StepMetrics FromReport(StepReport report)
    {
        var metrics = new StepMetrics
        {
            Step = report.Step,
            Epoch = report.Epoch,
            Loss = report.Loss,
            LearningRate = report.Update.LearningRate,
            GradientNorm = report.Update.GradientNorm,
            ClipScale = report.Update.ClipScale,
            Skipped = !report.Update.Applied,
            SamplesDoneInEpoch = report.SamplesDoneInEpoch,
            SamplesPerEpoch = report.SamplesPerEpoch,
        };
        foreach (var tensor in report.Update.Health ?? [])
        {
            metrics.Tensors.Add(new Protos.V1.TensorHealth { Name = tensor.Name, GradientNorm = tensor.GradientNorm, UpdateRatio = tensor.UpdateRatio });
        }
        return metrics;
    }

    public static EpochMetrics FromReport(EpochReport report) => new()
    {
        Epoch = report.Epoch,
        Step = report.Step,
        TrainLoss = report.TrainLoss,
        TrainAccuracy = report.TrainAccuracy,
        ValidationLoss = report.ValidationLoss,
        ValidationAccuracy = report.ValidationAccuracy,
        TestLoss = report.TestLoss,
        TestAccuracy = report.TestAccuracy,
        LearningRate = report.LearningRate,
        SamplesPerSecond = report.SamplesPerSecond,
        Seconds = report.Seconds,
        TestBitsPerCharacter = report.TestBitsPerCharacter,
    };

    public static JobResult FromSummary(TrainingSummary summary) => new()
    {
        TestAccuracy = summary.TestAccuracy,
        TestLoss = summary.TestLoss,
        Epochs = summary.Epochs,
        Steps = summary.Steps,
        TrainSamplesPerSecond = summary.TrainSamplesPerSecond,
        WallSeconds = summary.WallSeconds,
        StoppedEarly = summary.StoppedEarly,
        TestBitsPerCharacter = summary.TestBitsPerCharacter,
    };
}
