using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Diagnostics;

/// <summary>The metrics of step and epoch reports, seen by a <see cref="MeterListener"/> (each test reads only its own job id).</summary>
public sealed class MetricsRecorderTests : IDisposable
{
    private readonly string _jobId = $"job-{Guid.NewGuid():N}";
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly MeterListener _listener = new();

    public MetricsRecorderTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TrainingDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void OnStep_ClippedStep_RecordsLossNormRatioAndClippedOutcome()
    {
        var report = new StepReport(1, 5, 64, 640, 0.75, new UpdateResult(true, 0.01f, 4.0, 0.25f, 0, -1));

        MetricsRecorder.OnStep(_jobId, report);

        Assert.Equal((0.75, 4.0, 0.25, "clipped"), (Value("train.loss"), Value("train.gradient.norm"), Value("train.gradient.clip_ratio"),
            Tags("train.steps")[TrainingAttributes.Outcome]));
    }

    [Fact]
    public void OnStep_SkippedStep_RecordsNoGradientNorm()
    {
        var report = new StepReport(1, 5, 64, 640, double.NaN, UpdateResult.Skipped(0.01f, 3));

        MetricsRecorder.OnStep(_jobId, report);

        Assert.Equal((false, "skipped"), (Mine().Any(m => m.Instrument == "train.gradient.norm"), Tags("train.steps")[TrainingAttributes.Outcome]));
    }

    [Fact]
    public void OnEpoch_WithoutValidation_RecordsTrainAndTestSplitsOnly()
    {
        var report = new EpochReport(1, 10, 0.5, 0.8, double.NaN, double.NaN, 0.6, 0.7, 0.01f, 1234, 2.0);

        MetricsRecorder.OnEpoch(_jobId, report);

        string[] splits = [.. Mine().Where(m => m.Instrument == "train.accuracy").Select(m => (string)m.Tags[TrainingAttributes.Split]!)];
        Assert.Equal(["train", "test"], splits);
    }

    [Fact]
    public void OnEpoch_Report_RecordsJobSamplesPerSecondWithoutWorker()
    {
        var report = new EpochReport(1, 10, 0.5, 0.8, 0.55, 0.75, 0.6, 0.7, 0.01f, 1234, 2.0);

        MetricsRecorder.OnEpoch(_jobId, report);

        Assert.Equal((1234.0, false), (Value("train.samples_per_second"), Tags("train.samples_per_second").ContainsKey(TrainingAttributes.WorkerId)));
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            map[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, value, map));
    }

    private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Mine() =>
        _measurements.Where(m => m.Tags.TryGetValue(TrainingAttributes.JobId, out object? job) && (string?)job == _jobId);

    private double Value(string instrument) => Mine().Last(m => m.Instrument == instrument).Value;

    private Dictionary<string, object?> Tags(string instrument) => Mine().Last(m => m.Instrument == instrument).Tags;
}
