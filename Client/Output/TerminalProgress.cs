using System.Globalization;
using DistributedTrainer.Training;
using Spectre.Console;

namespace DistributedTrainer.Client.Output;

/// <summary>
/// Progress on a terminal: one bar per epoch (samples done, running loss, samples/s, time left); a finished
/// epoch's bar keeps its results as its description.
/// </summary>
internal sealed class TerminalProgress(ProgressContext context, int epochs) : ITrainingObserver
{
    private ProgressTask? _task;
    private int _taskEpoch;

    public void OnStep(StepReport report)
    {
        if (_task is null || _taskEpoch != report.Epoch)
        {
            _task = context.AddTask($"epoch {report.Epoch}/{epochs}", maxValue: report.SamplesPerEpoch);
            _taskEpoch = report.Epoch;
        }
        _task.Value = report.SamplesDoneInEpoch;
        _task.Description = string.Create(CultureInfo.InvariantCulture,
            $"epoch {report.Epoch}/{epochs}  loss {report.Loss:F4}");
    }

    public void OnEpoch(EpochReport report)
    {
        if (_task is not null)
        {
            _task.Description = Markup.Escape(EpochLine.Format(report, epochs));
            _task.Value = _task.MaxValue;
            _task.StopTask();
        }
    }

    // Spectre's live display draws console output written meanwhile above the bars.
    public void OnEvent(string message) => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(message));

    /// <summary>Runs <paramref name="work"/> under a live progress display.</summary>
    public static T Show<T>(int epochs, Func<ITrainingObserver, T> work) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(), new RemainingTimeColumn())
            .Start(context => work(new TerminalProgress(context, epochs)));
}
