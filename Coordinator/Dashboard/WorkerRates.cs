using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using DistributedTrainer.Diagnostics;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The samples per second of compute of each worker in each job, as the cluster backend measures them for its shard
/// balancer and records them on <see cref="TrainingMetrics.SamplesPerSecond"/>: read from that gauge in this process
/// (a <see cref="MeterListener"/>), so the dashboard shows the very numbers the metrics export, from no other source.
/// </summary>
internal sealed class WorkerRates : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string JobId, string WorkerId), double> _rates = new();
    private readonly ConcurrentDictionary<(string JobId, string WorkerId), RecentComputeTimes> _computeTimes = new();

    public WorkerRates()
    {
        // Read before the listener starts: read inside the callback, it may run TrainingMetrics' static constructor, whose
        // instruments are published (to this callback) while the field is still null.
        Instrument samplesPerSecond = TrainingMetrics.SamplesPerSecond;
        Instrument computeDuration = TrainingMetrics.WorkerComputeDuration;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, samplesPerSecond) || ReferenceEquals(instrument, computeDuration))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Raised after a worker's rate was recorded (on the recording thread: listeners must not block).</summary>
    public event Action? Changed;

    /// <summary>The last rate recorded for <paramref name="workerId"/> in <paramref name="jobId"/>, if any.</summary>
    public double? RateOf(string jobId, string workerId) => _rates.TryGetValue((jobId, workerId), out double rate) ? rate : null;

    /// <summary>The median of the last <see cref="RecentComputeTimes.Capacity"/> compute times of <paramref name="workerId"/> in <paramref name="jobId"/>, in seconds, if any.</summary>
    public double? MedianComputeSecondsOf(string jobId, string workerId) =>
        _computeTimes.TryGetValue((jobId, workerId), out var times) ? times.Median() : null;

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? jobId = null;
        string? workerId = null;
        foreach (var tag in tags)
        {
            if (tag.Key == TrainingAttributes.JobId)
            {
                jobId = tag.Value as string;
            }
            else if (tag.Key == TrainingAttributes.WorkerId)
            {
                workerId = tag.Value as string;
            }
        }
        // The job's own rate (no worker tag) is in its epoch events already.
        if (jobId is null || workerId is null)
        {
            return;
        }
        if (ReferenceEquals(instrument, TrainingMetrics.WorkerComputeDuration))
        {
            _computeTimes.GetOrAdd((jobId, workerId), _ => new RecentComputeTimes()).Add(value);
        }
        else
        {
            _rates[(jobId, workerId)] = value;
        }
        Changed?.Invoke();
    }
}
