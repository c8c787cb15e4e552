using System.Text.RegularExpressions;
using DistributedTrainer.Reports.TensorBoard;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public sealed class TensorBoardWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-tensorboard-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Constructor_LogDirectory_CreatesEventFileNamedAsTensorFlowDoes()
    {
        string logDirectory = Path.Combine(_directory, "logs");

        using var writer = new TensorBoardWriter(logDirectory);

        Assert.Equal(logDirectory, Path.GetDirectoryName(writer.FilePath));
        Assert.Matches(new Regex(@"^events\.out\.tfevents\.\d{10}\..+$"), Path.GetFileName(writer.FilePath));
    }

    [Fact]
    public void Constructor_SameSecondTwice_StartsTwoFiles()
    {
        using var first = new TensorBoardWriter(_directory);
        using var second = new TensorBoardWriter(_directory);

        Assert.NotEqual(first.FilePath, second.FilePath);
    }

    [Fact]
    public void AddScalar_AfterDispose_Throws()
    {
        var writer = new TensorBoardWriter(_directory);
        writer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => writer.AddScalar("loss", 1, 0.5f));
    }

    [PythonProtobufFact]
    public void AddScalar_ReadByIndependentReader_GivesVersionTagsStepsAndValues()
    {
        string path;
        using (var writer = new TensorBoardWriter(_directory))
        {
            writer.AddScalar("train/loss", 1, 0.75f);
            writer.AddScalar("train/loss", 2, 0.5f);
            writer.AddScalar("learning_rate", 2, 1e-3f);
            path = writer.FilePath;
        }

        var content = EventFileReader.Read(path);

        Assert.Equal("brain.Event:2", content.FileVersion);
        Assert.Equal(
            [new ScalarPoint("train/loss", 1, 0.75), new ScalarPoint("train/loss", 2, 0.5), new ScalarPoint("learning_rate", 2, 1e-3f)],
            content.Scalars);
    }

    [PythonProtobufFact]
    public void AddHistogram_ReadByIndependentReader_GivesCountsAndRange()
    {
        var values = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray();
        string path;
        using (var writer = new TensorBoardWriter(_directory))
        {
            writer.AddHistogram("weights/fc.weight", 7, values);
            path = writer.FilePath;
        }

        var histogram = Assert.Single(EventFileReader.Read(path).Histograms);

        Assert.Equal(("weights/fc.weight", 7L, 1000.0, 1000.0), (histogram.Tag, histogram.Step, histogram.Num, histogram.BucketCountSum));
        Assert.Equal((values.Min(), values.Max()), ((float)histogram.Min, (float)histogram.Max));
    }
}
