using System.Text;
using System.Text.Json;
using DistributedTrainer.Diagnostics;
using Xunit;

namespace DistributedTrainer.Tests.Diagnostics;

public sealed class SpanRecordTests
{
    private static readonly SpanRecord Sample = new("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "00f067aa0ba902b7",
        "train.step", "Internal", "coordinator", 1_700_000_000_000_000_000, 12_500_000, "Error", "gradient held NaN",
        [new("job.id", "j-1"), new("train.step", 42L), new("lr", 0.5), new("clipped", true), new("ranks", new object?[] { 0L, 1L })],
        [new SpanEventRecord("skipped", 1_700_000_000_000_100_000, [new("worker.id", "w-2")])]);

    [Fact]
    public void Parse_WrittenLine_RoundTripsEveryField()
    {
        SpanRecord parsed = SpanRecord.Parse(Write(Sample));

        Assert.Equal(Write(Sample), Write(parsed));
    }

    [Fact]
    public void Parse_IntegerAttribute_ReadsLong()
    {
        SpanRecord parsed = SpanRecord.Parse(Write(Sample));

        Assert.IsType<long>(parsed.Attribute("train.step"));
    }

    [Fact]
    public void Parse_RootSpan_ParentIsNull()
    {
        SpanRecord parsed = SpanRecord.Parse(Write(Sample with { ParentSpanId = null }));

        Assert.Null(parsed.ParentSpanId);
    }

    [Fact]
    public void Parse_MissingSpanId_ThrowsNamingField()
    {
        string line = Write(Sample).Replace("\"spanId\"", "\"spanID\"", StringComparison.Ordinal);

        var error = Assert.Throws<FormatException>(() => SpanRecord.Parse(line));

        Assert.Contains("'spanId'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => SpanRecord.Parse("{\"traceId\": "));
    }

    [Fact]
    public void WriteTo_NonFiniteAttribute_WritesString()
    {
        string line = Write(Sample with { Attributes = [new("loss", double.NaN)] });

        Assert.Equal("NaN", JsonDocument.Parse(line).RootElement.GetProperty("attributes").GetProperty("loss").GetString());
    }

    private static string Write(SpanRecord record)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            record.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
