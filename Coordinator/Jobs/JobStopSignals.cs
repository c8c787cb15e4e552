using System.Collections.Concurrent;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>How a grain asks the run of its job to stop: the runner registers a token source before it starts the job.</summary>
internal sealed class JobStopSignals
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _runs = new(StringComparer.Ordinal);

    /// <summary>Makes <paramref name="stop"/> the stop signal of <paramref name="jobId"/> until <see cref="Unregister"/>.</summary>
    public void Register(string jobId, CancellationTokenSource stop) => _runs[jobId] = stop;

    /// <summary>Forgets the run of <paramref name="jobId"/>.</summary>
    public void Unregister(string jobId) => _runs.TryRemove(jobId, out _);

    /// <summary>Asks the run of <paramref name="jobId"/> to stop at its next step boundary; nothing when it is not running.</summary>
    public void Stop(string jobId)
    {
        if (_runs.TryGetValue(jobId, out var stop))
        {
            stop.Cancel();
        }
    }
}
