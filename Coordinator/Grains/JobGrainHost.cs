using System.Collections.Concurrent;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Protos.V1;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// The in-process stand-in for an Orleans silo: activates one <see cref="JobGrain"/> per job id on first use,
/// loads its state from storage, and delivers its messages one at a time through its mailbox. Moving to Orleans
/// replaces this class and <see cref="JobGrainReference"/>, not the grain.
/// </summary>
internal sealed class JobGrainHost(IGrainStorage<Job> storage, JobStopSignals stopSignals, TimeProvider clock, ILogger logger)
{
    private readonly ConcurrentDictionary<string, Lazy<JobGrainReference>> _activations = new(StringComparer.Ordinal);

    /// <summary>The grain of <paramref name="jobId"/> (activated on first call).</summary>
    public IJobGrain GetGrain(string jobId) =>
        _activations.GetOrAdd(jobId, id => new Lazy<JobGrainReference>(() => Activate(id))).Value;

    /// <summary>Every job with stored state, newest first.</summary>
    public async Task<IReadOnlyList<Job>> ListAsync()
    {
        var jobs = new List<Job>();
        foreach (var key in await storage.ListKeysAsync())
        {
            if (await GetGrain(key).Get() is { } job)
            {
                jobs.Add(job);
            }
        }
        return [.. jobs.OrderByDescending(job => job.CreatedUnixMs).ThenByDescending(job => job.JobId, StringComparer.Ordinal)];
    }

    /// <summary>Stops every mailbox after the messages already queued.</summary>
    public void Close()
    {
        foreach (var activation in _activations.Values)
        {
            activation.Value.Mailbox.Close();
        }
    }

    private JobGrainReference Activate(string jobId)
    {
        var grain = new JobGrain(jobId, storage, stopSignals, clock, logger);
        var mailbox = new GrainMailbox();
        _ = mailbox.Post(grain.Activate);
        return new JobGrainReference(grain, mailbox);
    }
}
