using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// The jobs of this coordinator, as the state directory holds them (so they are listed after a restart too): every
/// job is read through its grain, which has the live state.
/// </summary>
internal sealed class JobIndex(FileJobStorage storage, IGrainFactory grains)
{
    /// <summary>Every job with stored state, newest first.</summary>
    public async Task<IReadOnlyList<Job>> ListAsync()
    {
        var jobs = new List<Job>();
        foreach (var jobId in storage.ListJobIds())
        {
            if (await grains.GetGrain<IJobGrain>(jobId).Get() is { } job)
            {
                jobs.Add(job);
            }
        }
        return [.. jobs.OrderByDescending(job => job.CreatedUnixMs).ThenByDescending(job => job.JobId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Activates the grain of every job a previous coordinator left QUEUED, WAITING_FOR_WORKERS or RUNNING, oldest
    /// first (the queue's order); each resumes its run as it activates. Returns how many.
    /// </summary>
    public async Task<int> ResumeUnfinishedAsync()
    {
        var unfinished = new List<Job>();
        foreach (var jobId in storage.ListJobIds())
        {
            if (await storage.ReadAsync(jobId) is { } job && JobGrain.IsUnfinished(job.State))
            {
                unfinished.Add(job);
            }
        }
        foreach (var job in unfinished.OrderBy(job => job.CreatedUnixMs))
        {
            await grains.GetGrain<IJobGrain>(job.JobId).Get();
        }
        return unfinished.Count;
    }
}
