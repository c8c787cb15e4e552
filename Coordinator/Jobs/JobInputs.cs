using System.Collections.Concurrent;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>
/// Data sets the Jobs service loaded to check a submitted spec, handed to the job's run so it does not load them a
/// second time (they do not travel through grain calls: they are process-local and large).
/// </summary>
internal sealed class JobInputs
{
    private readonly ConcurrentDictionary<string, JobInput> _loaded = new(StringComparer.Ordinal);

    /// <summary>Keeps <paramref name="input"/> for the run of <paramref name="jobId"/>; call before submitting the job.</summary>
    public void Offer(string jobId, JobInput input) => _loaded[jobId] = input;

    /// <summary>Data sets offered and not yet taken or forgotten.</summary>
    public int Count => _loaded.Count;

    /// <summary>The data offered for <paramref name="jobId"/> (once), or null when none was.</summary>
    public JobInput? Take(string jobId) => _loaded.TryRemove(jobId, out var input) ? input : null;

    /// <summary>
    /// Drops the data offered for <paramref name="jobId"/> if its run never took it (the job was cancelled while
    /// queued, or refused after the offer), so that it does not stay in memory for the life of the process.
    /// </summary>
    public void Forget(string jobId) => _loaded.TryRemove(jobId, out _);
}
