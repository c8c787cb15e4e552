using System.Globalization;
using DistributedTrainer.Reports.Images;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Reports;

/// <summary>
/// The files a GAN run leaves in its output directory besides checkpoints: metrics.csv (rewritten after every epoch),
/// samples/epoch-NNNN.png and samples.png (the fixed-noise grid after each epoch, the last one also as samples.png),
/// and TensorBoard events under tensorboard/: per step "step/discriminator_loss", "step/generator_loss" (steps with a
/// generator update), "step/discriminator_learning_rate", "step/generator_learning_rate"; per epoch
/// "epoch/discriminator_loss", "epoch/generator_loss", "epoch/samples_per_second" and the image "samples", all at the
/// critic step. Progress goes on to <paramref name="display"/>.
/// </summary>
public sealed class AdversarialOutputs(string outputDirectory, IAdversarialObserver display) : IAdversarialObserver, IDisposable
{
    /// <summary>The latest grid, in the output directory.</summary>
    public const string SamplesFile = "samples.png";

    /// <summary>The per-epoch grids' directory.</summary>
    public const string SamplesDirectory = "samples";

    private readonly List<AdversarialEpochReport> _epochs = [];
    private readonly TensorBoardWriter _writer = new(Path.Combine(outputDirectory, RunOutputs.TensorBoardDirectory));

    /// <summary>The TensorBoard event file.</summary>
    public string EventFile => _writer.FilePath;

    /// <summary>The file name of epoch <paramref name="epoch"/>'s grid under <see cref="SamplesDirectory"/>.</summary>
    public static string EpochSamplesFile(int epoch) => string.Create(CultureInfo.InvariantCulture, $"epoch-{epoch:D4}.png");

    public void OnStep(AdversarialStepReport report)
    {
        _writer.AddScalar("step/discriminator_loss", report.Step, (float)report.DiscriminatorLoss);
        _writer.AddScalar("step/discriminator_learning_rate", report.Step, report.Discriminator.LearningRate);
        if (report.Generator is { } generator)
        {
            _writer.AddScalar("step/generator_loss", report.Step, (float)report.GeneratorLoss);
            _writer.AddScalar("step/generator_learning_rate", report.Step, generator.LearningRate);
        }
        display.OnStep(report);
    }

    public void OnEpoch(AdversarialEpochReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _epochs.Add(report);
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, RunOutputs.MetricsFile), AdversarialMetricsCsv.Format(_epochs));
        var picture = ImageGrid.Render(report.Grid);
        byte[] png = picture.ToPng();
        string directory = Path.Combine(outputDirectory, SamplesDirectory);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, EpochSamplesFile(report.Epoch)), png);
        File.WriteAllBytes(Path.Combine(outputDirectory, SamplesFile), png);

        _writer.AddScalar("epoch/discriminator_loss", report.Step, (float)report.DiscriminatorLoss);
        if (!double.IsNaN(report.GeneratorLoss))
        {
            _writer.AddScalar("epoch/generator_loss", report.Step, (float)report.GeneratorLoss);
        }
        _writer.AddScalar("epoch/samples_per_second", report.Step, (float)report.SamplesPerSecond);
        _writer.AddImage("samples", report.Step, png, picture.Width, picture.Height, picture.Channels);
        _writer.Flush();
        display.OnEpoch(report);
    }

    public void OnEvent(string message) => display.OnEvent(message);

    public void Dispose() => _writer.Dispose();
}
