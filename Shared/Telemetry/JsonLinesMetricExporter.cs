using System.Text.Json;
using DistributedTrainer.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// Writes metric points to a <c>*.metrics.jsonl</c> file at each periodic collection, one point per line:
/// <c>{"timeUnixNano", "startUnixNano", "service", "name", "unit", "type", "tags", ...}</c> with <c>"value"</c>
/// for sums and gauges, and <c>"count"</c>, <c>"sum"</c>, <c>"min"</c>, <c>"max"</c>, <c>"buckets"</c>
/// (<c>[{"le", "count"}]</c>, the last bound <c>null</c> for +Inf) for histograms. The reader is delta: a collection
/// writes only the series measured since the previous one, and sums, counts and buckets cover that interval
/// (<c>startUnixNano</c> to <c>timeUnixNano</c>); gauges give their last value in it.
/// </summary>
internal sealed class JsonLinesMetricExporter : BaseExporter<Metric>
{
    private readonly JsonLinesFile _file;
    private readonly string _service;

    public JsonLinesMetricExporter(string path, string service)
    {
        _file = new JsonLinesFile(path);
        _service = service;
    }

    public override ExportResult Export(in Batch<Metric> batch)
    {
        try
        {
            foreach (Metric metric in batch)
            {
                foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
                {
                    WritePoint(metric, point);
                    _file.EndLine();
                }
            }

            _file.Commit();
            return ExportResult.Success;
        }
        catch (IOException)
        {
            // A full or vanished disk loses this collection, never the training; the next one tries again.
            return ExportResult.Failure;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private void WritePoint(Metric metric, in MetricPoint point)
    {
        Utf8JsonWriter writer = _file.Writer;
        writer.WriteStartObject();
        writer.WriteNumber("timeUnixNano", UnixNano(point.EndTime));
        writer.WriteNumber("startUnixNano", UnixNano(point.StartTime));
        writer.WriteString("service", _service);
        writer.WriteString("name", metric.Name);
        writer.WriteString("unit", metric.Unit);
        writer.WriteString("type", TypeName(metric.MetricType));
        writer.WriteStartObject("tags");
        foreach (KeyValuePair<string, object?> tag in point.Tags)
        {
            writer.WritePropertyName(tag.Key);
            AttributeJson.WriteValue(writer, tag.Value);
        }

        writer.WriteEndObject();
        switch (metric.MetricType)
        {
            case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                writer.WriteNumber("value", point.GetSumLong());
                break;
            case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                WriteDouble(writer, "value", point.GetSumDouble());
                break;
            case MetricType.LongGauge:
                writer.WriteNumber("value", point.GetGaugeLastValueLong());
                break;
            case MetricType.DoubleGauge:
                WriteDouble(writer, "value", point.GetGaugeLastValueDouble());
                break;
            case MetricType.Histogram:
                WriteHistogram(writer, point);
                break;
            default:
                // Exponential histograms need a view this project does not configure.
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteHistogram(Utf8JsonWriter writer, in MetricPoint point)
    {
        writer.WriteNumber("count", point.GetHistogramCount());
        WriteDouble(writer, "sum", point.GetHistogramSum());
        if (point.TryGetHistogramMinMaxValues(out double min, out double max))
        {
            WriteDouble(writer, "min", min);
            WriteDouble(writer, "max", max);
        }

        writer.WriteStartArray("buckets");
        foreach (HistogramBucket bucket in point.GetHistogramBuckets())
        {
            writer.WriteStartObject();
            if (double.IsPositiveInfinity(bucket.ExplicitBound))
            {
                writer.WriteNull("le");
            }
            else
            {
                writer.WriteNumber("le", bucket.ExplicitBound);
            }

            writer.WriteNumber("count", bucket.BucketCount);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteDouble(Utf8JsonWriter writer, string name, double value)
    {
        writer.WritePropertyName(name);
        AttributeJson.WriteValue(writer, value);
    }

    private static string TypeName(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum => "counter",
        MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic => "updowncounter",
        MetricType.LongGauge or MetricType.DoubleGauge => "gauge",
        MetricType.Histogram => "histogram",
        _ => type.ToString(),
    };

    private static long UnixNano(DateTimeOffset time) => (time.UtcDateTime - DateTime.UnixEpoch).Ticks * 100;
}
