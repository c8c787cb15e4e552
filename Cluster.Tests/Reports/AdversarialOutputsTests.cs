using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Reports;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public sealed class AdversarialOutputsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-gan-outputs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static AdversarialEpochReport Epoch(int epoch) => new(epoch, epoch * 10, epoch * 5, 0.5 + epoch, 1.5 + epoch,
        1e-3f, 2e-3f, 100, 2, new SampleGrid(Enumerable.Range(0, 4 * 9).Select(i => i / 36f).ToArray(), 4, new ImageShape(1, 3, 3), 0f, 1f));

    private static AdversarialStepReport Step(long step, bool generator) => new(1, step, step / 2, (int)step * 4, 40, 0.25,
        new UpdateResult(true, 1e-3f, 1, 1, 0, -1), generator ? 0.75 : double.NaN, generator ? new UpdateResult(true, 2e-3f, 1, 1, 0, -1) : null);

    [Fact]
    public void OnEpoch_TwoEpochs_WritesMetricsCsvWithBothLosses()
    {
        using var outputs = new AdversarialOutputs(_directory, new NullObserver());

        outputs.OnEpoch(Epoch(1));
        outputs.OnEpoch(Epoch(2));

        var lines = File.ReadAllLines(Path.Combine(_directory, RunOutputs.MetricsFile));
        Assert.Equal("epoch,step,generator_step,discriminator_loss,generator_loss,discriminator_learning_rate,generator_learning_rate,samples_per_second,seconds", lines[0]);
        Assert.StartsWith("2,20,10,2.5,3.5,", lines[2], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void OnEpoch_Grid_WritesEpochAndLatestPngThatDecode()
    {
        using var outputs = new AdversarialOutputs(_directory, new NullObserver());

        outputs.OnEpoch(Epoch(1));

        var epochFile = File.ReadAllBytes(Path.Combine(_directory, AdversarialOutputs.SamplesDirectory, "epoch-0001.png"));
        var latest = File.ReadAllBytes(Path.Combine(_directory, AdversarialOutputs.SamplesFile));
        Assert.Equal(epochFile, latest);
        var decoded = PngEncoderTests.Decode(latest);
        // 2x2 tiles of 3x3 pixels with 2-pixel borders.
        Assert.Equal((12, 12), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Dispose_AfterStepsAndAnEpoch_EventFileHoldsLossScalarsAndTheGridImage()
    {
        string eventFile;
        using (var outputs = new AdversarialOutputs(_directory, new NullObserver()))
        {
            eventFile = outputs.EventFile;
            outputs.OnStep(Step(1, generator: false));
            outputs.OnStep(Step(2, generator: true));
            outputs.OnEpoch(Epoch(1));
        }

        var events = TfRecordReader.ReadEvents(eventFile);

        var values = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (e.Step, Value: v))).ToList();
        Assert.Equal([1L, 2L], values.Where(v => v.Value.Tag == "step/discriminator_loss").Select(v => v.Step));
        Assert.Equal([2L], values.Where(v => v.Value.Tag == "step/generator_loss").Select(v => v.Step));
        Assert.Equal(2.5f, values.Single(v => v.Value.Tag == "epoch/generator_loss").Value.SimpleValue);
        var image = values.Single(v => v.Value.Tag == "samples");
        Assert.Equal(10L, image.Step);
        Assert.Equal((12, 12, 1), (image.Value.Image.Width, image.Value.Image.Height, image.Value.Image.Colorspace));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_directory, AdversarialOutputs.SamplesFile)), image.Value.Image.EncodedImageString.ToByteArray());
    }

    private sealed class NullObserver : IAdversarialObserver
    {
        public void OnStep(AdversarialStepReport report)
        {
        }

        public void OnEpoch(AdversarialEpochReport report)
        {
        }

        public void OnEvent(string message)
        {
        }
    }
}
