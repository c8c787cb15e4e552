using DistributedTrainer.Training;

namespace DistributedTrainer.Client.Output;

/// <summary>Progress for logs and pipes: one line per epoch and per event, nothing per step.</summary>
internal sealed class PlainProgress(TextWriter writer, int epochs) : ITrainingObserver
{
    public void OnStep(StepReport report)
    {
    }

    public void OnEpoch(EpochReport report) => writer.WriteLine(EpochLine.Format(report, epochs));

    public void OnEvent(string message) => writer.WriteLine(message);
}
