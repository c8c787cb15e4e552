using DistributedTrainer.Reports;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public class MetricsCsvTests
{
    [Fact]
    public void Format_TextRun_EndsRowsWithBitsPerCharacter()
    {
        var report = new EpochReport(1, 10, 1.5, 0.4, double.NaN, double.NaN, 1.75, 0.5, 0.01f, 100, 2) { TestBitsPerCharacter = 2.5 };

        var lines = MetricsCsv.Format([report]).Split('\n');

        Assert.EndsWith(",test_bits_per_character", lines[0].TrimEnd('\r'), StringComparison.Ordinal);
        Assert.EndsWith(",2.5", lines[1].TrimEnd('\r'), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_ImageRun_LeavesBitsPerCharacterEmpty()
    {
        var report = new EpochReport(1, 10, 1.5, 0.4, double.NaN, double.NaN, 1.75, 0.5, 0.01f, 100, 2);

        var lines = MetricsCsv.Format([report]).Split('\n');

        Assert.EndsWith(",2,", lines[1].TrimEnd('\r'), StringComparison.Ordinal);
    }
}
