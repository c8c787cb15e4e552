using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;

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

    /// <summary>A GAN step as the Jobs API shows a step: the critic update's loss and update.</summary>
    public static StepMetrics FromReport(AdversarialStepReport report) => new()
    {
        Step = report.Step,
        Epoch = report.Epoch,
        Loss = report.DiscriminatorLoss,
        LearningRate = report.Discriminator.LearningRate,
        GradientNorm = report.Discriminator.GradientNorm,
        ClipScale = report.Discriminator.ClipScale,
        Skipped = !report.Discriminator.Applied,
        SamplesDoneInEpoch = report.SamplesDoneInEpoch,
        SamplesPerEpoch = report.SamplesPerEpoch,
    };

    /// <summary>A GAN epoch: the discriminator's loss as the train loss, the generator's beside it; a GAN has no test figures.</summary>
    public static EpochMetrics FromReport(AdversarialEpochReport report) => new()
    {
        Epoch = report.Epoch,
        Step = report.Step,
        TrainLoss = report.DiscriminatorLoss,
        TrainAccuracy = double.NaN,
        ValidationLoss = double.NaN,
        ValidationAccuracy = double.NaN,
        TestLoss = double.NaN,
        TestAccuracy = double.NaN,
        LearningRate = report.DiscriminatorLearningRate,
        SamplesPerSecond = report.SamplesPerSecond,
        Seconds = report.Seconds,
        TestBitsPerCharacter = double.NaN,
        GeneratorLoss = report.GeneratorLoss,
        GeneratorStep = report.GeneratorStep,
    };

    /// <summary>The end of a GAN run; the test figures are NaN.</summary>
    public static JobResult FromSummary(AdversarialSummary summary) => new()
    {
        TestAccuracy = double.NaN,
        TestLoss = double.NaN,
        Epochs = summary.Epochs,
        Steps = summary.Steps,
        WallSeconds = summary.WallSeconds,
        TestBitsPerCharacter = double.NaN,
        DiscriminatorLoss = summary.DiscriminatorLoss,
        GeneratorLoss = summary.GeneratorLoss,
        GeneratorSteps = summary.GeneratorSteps,
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
