using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class EarlyStoppingTrainingTests
{
    /// <summary>Blobs with a validation split, trained with a learning rate high enough to start overfitting noise.</summary>
    private static (JobSpec Spec, LoadedData Data) Job(int epochs, int patience)
    {
        var blobs = SyntheticJobs.Blobs(trainCount: 300, seed: 21);
        var validation = blobs.Train.Subset(Enumerable.Range(240, 60).ToArray());
        var train = blobs.Train.Subset(Enumerable.Range(0, 240).ToArray());
        var spec = SyntheticJobs.Spec(epochs: epochs);
        spec.Schedule = new ScheduleSpec { Kind = ScheduleSpec.Types.Kind.Constant };
        spec.Optimizer.LearningRate = 0.05f;
        if (patience > 0)
        {
            spec.EarlyStopping = new EarlyStoppingSpec
            {
                Metric = EarlyStoppingSpec.Types.Metric.ValidationLoss,
                Patience = patience,
            };
        }
        return (spec, blobs with { Train = train, Validation = validation });
    }

    [Fact]
    public void Run_ValidationLossStopsImproving_StopsAndRestoresTheBestEpochsParameters()
    {
        var (spec, data) = Job(epochs: 40, patience: 2);
        using var stopped = Trainer.Create(spec, data);
        var events = new RecordingObserver();

        var summary = stopped.Run(events);

        Assert.True(summary.StoppedEarly, "the run should stop before 40 epochs");
        string restored = Assert.Single(events.Messages, m => m.StartsWith("Early stopping: restored", StringComparison.Ordinal));
        int bestEpoch = int.Parse(restored.Split(' ')[^1].TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture);
        var (plainSpec, plainData) = Job(epochs: bestEpoch, patience: 0);
        using var reference = Trainer.Create(plainSpec, plainData);
        reference.Run(new RecordingObserver());

        Assert.Equal(reference.Model.Store.Values.ToArray(), stopped.Model.Store.Values.ToArray());
        Assert.Equal(reference.Model.Store.BufferValues.ToArray(), stopped.Model.Store.BufferValues.ToArray());
    }
}
