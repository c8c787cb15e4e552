using System.Diagnostics.Metrics;
using DistributedTrainer.Diagnostics;
using Xunit;

namespace DistributedTrainer.Tests.Diagnostics;

public sealed class TrainingMetricsTests
{
    [Fact]
    public void TrackQueue_NameAlreadyTracked_ThrowsNamingQueue()
    {
        string name = $"queue-{Guid.NewGuid():N}";
        using IDisposable first = TrainingMetrics.TrackQueue(name, () => 1);

        var error = Assert.Throws<ArgumentException>(() => TrainingMetrics.TrackQueue(name, () => 2));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrackQueue_Collected_ReportsDepthUntilDisposed()
    {
        string name = $"queue-{Guid.NewGuid():N}";
        var seen = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (IsTraining(instrument, "trainer.queue.depth"))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == TrainingAttributes.Queue && (string?)tag.Value == name)
                {
                    seen.Add(value);
                }
            }
        });
        listener.Start();

        IDisposable registration = TrainingMetrics.TrackQueue(name, () => 42);
        listener.RecordObservableInstruments();
        registration.Dispose();
        listener.RecordObservableInstruments();

        Assert.Equal([42L], seen);
    }

    [Fact]
    public void RecordRingBytes_Link_TaggedFromArrowTo()
    {
        string jobId = $"job-{Guid.NewGuid():N}";
        string? link = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (IsTraining(instrument, "ring.bytes_sent"))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            Dictionary<string, object?> map = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            if ((string?)map[TrainingAttributes.JobId] == jobId)
            {
                link = (string?)map[TrainingAttributes.Link];
            }
        });
        listener.Start();

        TrainingMetrics.RecordRingBytes(jobId, 2, 0, 1024);

        Assert.Equal("2->0", link);
    }

    // By name, not by reference: the listener may see the instrument while TrainingMetrics is still being
    // initialized (its first use in the test), when its static fields are not yet set.
    private static bool IsTraining(Instrument instrument, string name) =>
        instrument.Meter.Name == TrainingDiagnostics.MeterName && instrument.Name == name;
}
