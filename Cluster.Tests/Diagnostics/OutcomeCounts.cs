using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using DistributedTrainer.Diagnostics;

namespace DistributedTrainer.Tests.Diagnostics;

/// <summary>
/// Sums of one of the trainer's counters tagged <c>job.id</c> and, for most, <c>outcome</c>, by job and outcome, while
/// listening: counted by job, because other tests' workers in this process record their own jobs.
/// </summary>
internal sealed class OutcomeCounts : IDisposable
{
    private readonly ConcurrentDictionary<(string Job, string Outcome), long> _sums = new();
    private readonly MeterListener _listener = new();

    /// <param name="instrument">The counter's name, e.g. <c>train.worker.prefetch.samples</c>.</param>
    public OutcomeCounts(string instrument)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Name == TrainingDiagnostics.Meter.Name && published.Name == instrument)
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? job = null;
            string? outcome = null;
            foreach (var tag in tags)
            {
                job = tag.Key == TrainingAttributes.JobId ? (string?)tag.Value : job;
                outcome = tag.Key == TrainingAttributes.Outcome ? (string?)tag.Value : outcome;
            }
            if (job is not null)
            {
                _sums.AddOrUpdate((job, outcome ?? ""), value, (_, sum) => sum + value);
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of <paramref name="outcome"/>'s measurements of <paramref name="job"/> so far; 0 for none.</summary>
    public long Of(string job, string outcome) => _sums.GetValueOrDefault((job, outcome));

    /// <summary>The sum of the measurements of <paramref name="job"/> so far, whatever their outcome; 0 for none.</summary>
    public long Of(string job) => _sums.Where(sum => sum.Key.Job == job).Sum(sum => sum.Value);

    public void Dispose() => _listener.Dispose();
}
