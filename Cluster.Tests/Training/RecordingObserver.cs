using DistributedTrainer.Training;

namespace DistributedTrainer.Tests.Training;

/// <summary>Keeps what a training run reports, for tests to inspect; optionally echoes epochs to a log.</summary>
internal sealed class RecordingObserver(Action<string>? log = null) : ITrainingObserver
{
    public List<EpochReport> Epochs { get; } = [];

    public List<string> Messages { get; } = [];

    public void OnStep(StepReport report)
    {
    }

    public void OnEpoch(EpochReport report)
    {
        Epochs.Add(report);
        log?.Invoke($"epoch {report.Epoch}: train {report.TrainAccuracy:P2}, test {report.TestAccuracy:P2}, {report.SamplesPerSecond:F0} samples/s");
    }

    public void OnEvent(string message)
    {
        Messages.Add(message);
        log?.Invoke(message);
    }
}
