using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Training;

namespace DistributedTrainer.Reports.TensorBoard;

/// <summary>
/// Records a training run as TensorBoard events in <paramref name="logDirectory"/>: per step "step/loss",
/// "step/learning_rate", "step/gradient_norm" and "step/clip_scale" (the last two only for applied steps); per
/// epoch "epoch/train_loss", "epoch/train_accuracy", "epoch/validation_loss", "epoch/validation_accuracy" (with
/// a validation split), "epoch/test_loss", "epoch/test_accuracy", "epoch/samples_per_second" and, for a TEXT job,
/// "epoch/test_bits_per_character", all at the
/// global step; and every <paramref name="histogramEverySteps"/> steps the histograms "weights/&lt;tensor&gt;"
/// and "gradients/&lt;tensor&gt;" of each trainable tensor of <paramref name="store"/> (the gradient the
/// update applied: averaged, regularized and clipped). The file is flushed after every epoch. Histograms are built
/// in the background from a copy of the tensors, off the training step's path (two histograms of the reference MLP
/// take about 20 ms, every 100 steps); each epoch's flush and the disposal wait for them.
/// </summary>
/// <param name="logDirectory">Directory of the event file; created if missing.</param>
/// <param name="store">The model's parameters, read on the training thread during <see cref="OnStep"/>.</param>
/// <param name="histogramEverySteps">Steps between histograms (default 100); 0 writes none.</param>
public sealed class TensorBoardObserver(string logDirectory, ParameterStore store, int histogramEverySteps = 100)
    : ITrainingObserver, IDisposable
{
    /// <summary>Default steps between weight and gradient histograms.</summary>
    public const int DefaultHistogramEverySteps = 100;

    private readonly int _histogramEverySteps = histogramEverySteps >= 0
        ? histogramEverySteps
        : throw new ArgumentException($"Invalid histogramEverySteps: {histogramEverySteps} (must be >= 0)", nameof(histogramEverySteps));

    // After the check above, so that a bad argument leaves no file behind.
    private readonly TensorBoardWriter _writer = new(logDirectory);

    // The histograms being built, one batch after another in step order.
    private Task _histograms = Task.CompletedTask;

    /// <summary>Full path of the event file.</summary>
    public string FilePath => _writer.FilePath;

    public void OnStep(StepReport report)
    {
        _writer.AddScalar("step/loss", report.Step, (float)report.Loss);
        _writer.AddScalar("step/learning_rate", report.Step, report.Update.LearningRate);
        if (report.Update.Applied)
        {
            _writer.AddScalar("step/gradient_norm", report.Step, (float)report.Update.GradientNorm);
            _writer.AddScalar("step/clip_scale", report.Step, report.Update.ClipScale);
        }
        foreach (var tensor in report.Update.Health ?? [])
        {
            _writer.AddScalar($"health/gradient_norm/{tensor.Name}", report.Step, (float)tensor.GradientNorm);
            _writer.AddScalar($"health/update_ratio/{tensor.Name}", report.Step, (float)tensor.UpdateRatio);
        }
        if (_histogramEverySteps > 0 && report.Step % _histogramEverySteps == 0)
        {
            long step = report.Step;
            var tensors = store.Parameters.Select(view => (view.Name, Weights: store.ValuesOf(view).ToArray(), Gradients: store.GradientsOf(view).ToArray())).ToList();
            var previous = _histograms;
            _histograms = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);
                foreach (var (name, weights, gradients) in tensors)
                {
                    _writer.AddHistogram($"weights/{name}", step, weights);
                    _writer.AddHistogram($"gradients/{name}", step, gradients);
                }
            });
        }
    }

    public void OnEpoch(EpochReport report)
    {
        _writer.AddScalar("epoch/train_loss", report.Step, (float)report.TrainLoss);
        _writer.AddScalar("epoch/train_accuracy", report.Step, (float)report.TrainAccuracy);
        if (!double.IsNaN(report.ValidationLoss))
        {
            _writer.AddScalar("epoch/validation_loss", report.Step, (float)report.ValidationLoss);
            _writer.AddScalar("epoch/validation_accuracy", report.Step, (float)report.ValidationAccuracy);
        }
        _writer.AddScalar("epoch/test_loss", report.Step, (float)report.TestLoss);
        _writer.AddScalar("epoch/test_accuracy", report.Step, (float)report.TestAccuracy);
        _writer.AddScalar("epoch/samples_per_second", report.Step, (float)report.SamplesPerSecond);
        if (!double.IsNaN(report.TestBitsPerCharacter))
        {
            _writer.AddScalar("epoch/test_bits_per_character", report.Step, (float)report.TestBitsPerCharacter);
        }
        _histograms.GetAwaiter().GetResult();
        _writer.Flush();
    }

    /// <summary>Events are text; TensorBoard's scalar and histogram dashboards have no place for them.</summary>
    public void OnEvent(string message)
    {
    }

    /// <summary>Waits for the histograms being built, then flushes and closes the event file.</summary>
    public void Dispose()
    {
        try
        {
            _histograms.GetAwaiter().GetResult();
        }
        finally
        {
            _writer.Dispose();
        }
    }
}
