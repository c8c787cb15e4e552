using DistributedTrainer.Data;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class CsvReaderTests
{
    [Fact]
    public void Read_HeaderAndLabelFirst_SkipsHeaderAndSplitsLabels()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "label,a,b\n1,0.5,2\n0, -1.25 ,3e2\n\n");

        var table = CsvReader.Read(path, labelColumn: 0, hasHeader: true);

        Assert.Equal([1, 0], table.Labels);
        Assert.Equal([0.5f, 2f, -1.25f, 300f], table.Features);
        Assert.Equal(2, table.FeatureCount);
    }

    [Fact]
    public void Read_LabelInLastColumn_KeepsFeatureOrder()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "1,2,3\r\n4,5,6\r\n");

        var table = CsvReader.Read(path, labelColumn: 2);

        Assert.Equal([3, 6], table.Labels);
        Assert.Equal([1f, 2f, 4f, 5f], table.Features);
    }

    [Fact]
    public void Read_BadFeatureCell_ThrowsNamingFileLineAndColumn()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "label,a,b\n1,0.5,2\n0,x1,3\n");

        var error = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, hasHeader: true));

        Assert.Equal($"{path}: line 3, column 2: the feature is not a finite number", error.Message);
    }

    [Fact]
    public void Read_FractionalLabel_ThrowsNamingLabel()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "1.5,2\n");

        var error = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));

        Assert.Equal($"{path}: line 1, column 1: the label is not a non-negative integer", error.Message);
    }

    [Fact]
    public void Read_NonFiniteFeature_Throws()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "1,NaN\n");

        var error = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));

        Assert.Contains("the feature is not a finite number", error.Message);
        Assert.DoesNotContain("NaN", error.Message);
    }

    [Fact]
    public void Read_RaggedRow_ThrowsWithColumnCounts()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "1,2,3\n4,5\n");

        var error = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));

        Assert.Equal($"{path}: line 2: 2 columns, expected 3 as on the first line", error.Message);
    }

    [Fact]
    public void Read_LabelColumnPastEnd_Throws()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "1,2\n");

        var error = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, labelColumn: 5));

        Assert.Contains("label column 5 (zero-based) is past the last of 2 columns", error.Message);
    }

    [Fact]
    public void Read_HeaderOnly_ThrowsNoDataRows()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("data.csv");
        File.WriteAllText(path, "label,a\n");

        var error = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path, hasHeader: true));

        Assert.Equal($"{path}: no data rows", error.Message);
    }
}
