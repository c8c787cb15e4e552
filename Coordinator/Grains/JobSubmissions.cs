namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Tells listeners in this coordinator the id of every job just created (by the Jobs API or a sweep's trial), so that a
/// view of all jobs (the dashboard's) can watch a new job's grain from its first event instead of listing jobs again and again.
/// </summary>
internal sealed class JobSubmissions
{
    /// <summary>Raised with the job id after the job grain stored the new job, in the grain's turn: listeners must not block.</summary>
    public event Action<string>? Submitted;

    /// <summary>Announces <paramref name="jobId"/> (called by the job grain only).</summary>
    public void Announce(string jobId) => Submitted?.Invoke(jobId);
}
