using DistributedTrainer.Reports;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training;

namespace DistributedTrainer.Client.Output;

/// <summary>
/// Forwards progress to a display and to the run's TensorBoard events, and keeps metrics.csv and curves.svg
/// current after every epoch.
/// </summary>
internal sealed class RecordingObserver(ITrainingObserver display, string outputDirectory, string title, TensorBoardObserver tensorBoard)
    : ITrainingObserver
{
    private readonly List<EpochReport> _epochs = [];

    public IReadOnlyList<EpochReport> Epochs => _epochs;

    public void OnStep(StepReport report)
    {
        tensorBoard.OnStep(report);
        display.OnStep(report);
    }

    public void OnEpoch(EpochReport report)
    {
        _epochs.Add(report);
        RunOutputs.Write(outputDirectory, title, _epochs);
        tensorBoard.OnEpoch(report);
        display.OnEpoch(report);
    }

    public void OnEvent(string message) => display.OnEvent(message);
}
