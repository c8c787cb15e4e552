using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public sealed class TensorBoardObserverTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-tensorboard-").FullName;
    private readonly ParameterStore _store = new(
        [new ParameterView("fc.weight", 0, [2, 3], ParameterRole.Weight, "fc"), new ParameterView("fc.bias", 6, [2], ParameterRole.Bias, "fc")],
        []);

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static StepReport Step(long step, bool applied = true) =>
        new(1, step, (int)step * 4, 100, 0.5,
            applied ? new UpdateResult(true, 0.01f, 2.0, 0.5f, 0.0, -1) : UpdateResult.Skipped(0.01f, 3));

    [Fact]
    public void Constructor_NegativeHistogramInterval_ThrowsAndLeavesNoFile()
    {
        var error = Assert.Throws<ArgumentException>(() => new TensorBoardObserver(_directory, _store, histogramEverySteps: -1));

        Assert.Contains("Invalid histogramEverySteps: -1", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [PythonProtobufFact]
    public void OnStep_AppliedAndSkippedSteps_WritesNormAndClipScaleOnlyForApplied()
    {
        string path;
        using (var observer = new TensorBoardObserver(_directory, _store, histogramEverySteps: 0))
        {
            observer.OnStep(Step(1));
            observer.OnStep(Step(2, applied: false));
            path = observer.FilePath;
        }

        var scalars = EventFileReader.Read(path).Scalars;

        Assert.Equal(
            ["1 step/loss", "1 step/learning_rate", "1 step/gradient_norm", "1 step/clip_scale", "2 step/loss", "2 step/learning_rate"],
            scalars.Select(point => $"{point.Step} {point.Tag}"));
    }

    [PythonProtobufFact]
    public void OnStep_HistogramStep_WritesWeightsAndGradientsOfEveryTensor()
    {
        _store.Values.Fill(0.25f);
        _store.Gradients.Fill(-1f);
        string path;
        using (var observer = new TensorBoardObserver(_directory, _store, histogramEverySteps: 2))
        {
            observer.OnStep(Step(1));
            observer.OnStep(Step(2));
            path = observer.FilePath;
        }

        var histograms = EventFileReader.Read(path).Histograms;

        Assert.Equal(
            ["2 weights/fc.weight 6 0.25", "2 gradients/fc.weight 6 -1", "2 weights/fc.bias 2 0.25", "2 gradients/fc.bias 2 -1"],
            histograms.Select(point => FormattableString.Invariant($"{point.Step} {point.Tag} {point.Num} {point.Max}")));
    }

    [PythonProtobufFact]
    public void OnEpoch_WithoutValidation_WritesEpochScalarsAtTheGlobalStep()
    {
        string path;
        using (var observer = new TensorBoardObserver(_directory, _store))
        {
            observer.OnEpoch(new EpochReport(1, 25, 0.4, 0.8, double.NaN, double.NaN, 0.5, 0.75, 0.01f, 1234.0, 1.5));
            path = observer.FilePath;
        }

        var scalars = EventFileReader.Read(path).Scalars;

        Assert.Equal(
            [
                new ScalarPoint("epoch/train_loss", 25, 0.4f), new ScalarPoint("epoch/train_accuracy", 25, 0.8f),
                new ScalarPoint("epoch/test_loss", 25, 0.5), new ScalarPoint("epoch/test_accuracy", 25, 0.75),
                new ScalarPoint("epoch/samples_per_second", 25, 1234.0),
            ],
            scalars);
    }
}
