using System.Diagnostics;
using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Data;

public sealed class DatasetLoaderTests(ITestOutputHelper output)
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    // 10 training samples of 2x2 bytes (sample i holds i, i+1, i+2, i+3; label i % 3) and 3 test samples.
    private static DatasetSpec WriteIdx(TemporaryDirectory directory, byte[]? testLabels = null)
    {
        var train = Enumerable.Range(0, 10).SelectMany(i => new[] { (byte)i, (byte)(i + 1), (byte)(i + 2), (byte)(i + 3) }).ToArray();
        var trainLabels = Enumerable.Range(0, 10).Select(i => (byte)(i % 3)).ToArray();
        testLabels ??= [2, 1, 0];
        return new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Idx,
            TrainPath = IdxTestFiles.Write(directory.File("train-images.gz"), [10, 2, 2], train, gzip: true),
            TrainLabelsPath = IdxTestFiles.Write(directory.File("train-labels"), [10], trainLabels),
            TestPath = IdxTestFiles.Write(directory.File("test-images"), [testLabels.Length, 2, 2], new byte[testLabels.Length * 4]),
            TestLabelsPath = IdxTestFiles.Write(directory.File("test-labels"), [testLabels.Length], testLabels),
            Normalization = DatasetSpec.Types.Normalization.None,
        };
    }

    [Fact]
    public void Load_IdxWithValidationFraction_SplitsTrainingFile()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.ValidationFraction = 0.2f;

        var data = DatasetLoader.Load(spec, seed: 1);

        Assert.Equal((8, 2, 3), (data.Train.Count, data.Validation!.Count, data.Test.Count));
    }

    [Fact]
    public void Load_Idx_InfersClassesAndFeatures()
    {
        using var directory = new TemporaryDirectory();

        var data = DatasetLoader.Load(WriteIdx(directory), seed: 1);

        Assert.Equal((3, 4), (data.ClassCount, data.FeatureCount));
    }

    [Fact]
    public void Load_ZeroValidationFraction_HasNoValidationSet()
    {
        using var directory = new TemporaryDirectory();

        var data = DatasetLoader.Load(WriteIdx(directory), seed: 1);

        Assert.Null(data.Validation);
    }

    [Fact]
    public void Load_Standardize_FitsOnTrainingSplitOnly()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.ValidationFraction = 0.3f;
        spec.Normalization = DatasetSpec.Types.Normalization.Standardize;
        var split = ValidationSplit.Create(10, 0.3f, seed: 9);

        var data = DatasetLoader.Load(spec, seed: 9);

        Assert.Equal((float)split.Train.Average(), data.Train.Normalization.Offset[0]);
    }

    [Fact]
    public void Load_Standardize_AppliesTrainingStatisticsToTest()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.Normalization = DatasetSpec.Types.Normalization.Standardize;

        var data = DatasetLoader.Load(spec, seed: 9);

        Assert.Same(data.Train.Normalization, data.Test.Normalization);
    }

    [Fact]
    public void Load_UnspecifiedNormalization_ScalesBytesTo01()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.Normalization = DatasetSpec.Types.Normalization.Unspecified;

        var data = DatasetLoader.Load(spec, seed: 1);

        Assert.Equal(NormalizationKind.Scale, data.Train.Normalization.Kind);
    }

    [Fact]
    public void Load_TestLabelBeyondNumClasses_ThrowsNamingFileAndSample()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory, testLabels: [0, 7]);
        spec.NumClasses = 5;

        var error = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.Equal(
            $"dataset.test_labels_path: {spec.TestLabelsPath} sample 1 has a label outside the 5 classes of dataset.num_classes",
            error.Message);
    }

    [Fact]
    public void Load_LabelCountDiffersFromImages_Throws()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.TestLabelsPath = IdxTestFiles.Write(directory.File("short-labels"), [2], [0, 1]);

        var error = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.Contains("holds 2 labels but", error.Message);
    }

    [Fact]
    public void Load_CorruptTrainFile_PrefixesFieldName()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        File.WriteAllBytes(spec.TrainPath, [1, 2, 3, 4, 5]);

        var error = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.StartsWith($"dataset.train_path: {spec.TrainPath}: not an IDX file", error.Message);
    }

    [Fact]
    public void Load_MissingFashionMnistFile_NamesDebianPackage()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.TrainPath = FashionMnist + "/absent-images-idx3-ubyte.gz";

        var error = Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.Equal(
            $"dataset.train_path: file not found: {FashionMnist}/absent-images-idx3-ubyte.gz (install the Debian package dataset-fashion-mnist)",
            error.Message);
    }

    [Fact]
    public void Load_MissingOtherFile_GivesPlainMessage()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.TestLabelsPath = directory.File("absent");

        var error = Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.Equal($"dataset.test_labels_path: file not found: {spec.TestLabelsPath}", error.Message);
    }

    [Fact]
    public void Load_EmptyTestPath_ThrowsRequired()
    {
        using var directory = new TemporaryDirectory();
        var spec = WriteIdx(directory);
        spec.TestPath = "";

        var error = Assert.Throws<ArgumentException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.Equal("dataset.test_path: required", error.Message);
    }

    [Fact]
    public void Load_Csv_ReadsLabelColumnAndHeader()
    {
        using var directory = new TemporaryDirectory();
        string train = directory.File("train.csv");
        string test = directory.File("test.csv");
        File.WriteAllText(train, "a,label,b\n1,0,2\n3,1,4\n5,2,6\n");
        File.WriteAllText(test, "a,label,b\n7,1,8\n");
        var spec = new DatasetSpec
        {
            TrainPath = train,
            TestPath = test,
            LabelColumn = 1,
            HasHeader = true,
            Normalization = DatasetSpec.Types.Normalization.None,
        };
        var features = new float[2];
        var labels = new int[1];

        DatasetLoader.Load(spec, seed: 1).Test.Gather(features, labels, [0]);

        Assert.Equal([7f, 8f, 1f], [.. features, labels[0]]);
    }

    [Fact]
    public void Load_FashionMnist_HasStandardShapes()
    {
        if (!File.Exists(FashionMnist + "/train-images-idx3-ubyte.gz"))
        {
            output.WriteLine($"Fashion-MNIST is not installed in {FashionMnist} (Debian package dataset-fashion-mnist); nothing to check.");
            return;
        }
        var spec = new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Idx,
            TrainPath = FashionMnist + "/train-images-idx3-ubyte.gz",
            TrainLabelsPath = FashionMnist + "/train-labels-idx1-ubyte.gz",
            TestPath = FashionMnist + "/t10k-images-idx3-ubyte.gz",
            TestLabelsPath = FashionMnist + "/t10k-labels-idx1-ubyte.gz",
            Normalization = DatasetSpec.Types.Normalization.Scale,
            ValidationFraction = 0.1f,
        };
        var clock = Stopwatch.StartNew();

        var data = DatasetLoader.Load(spec, seed: 1);

        output.WriteLine($"Loaded Fashion-MNIST in {clock.ElapsedMilliseconds} ms");
        Assert.Equal((54000, 6000, 10000, 10, 784), (data.Train.Count, data.Validation!.Count, data.Test.Count, data.ClassCount, data.FeatureCount));
    }
}
