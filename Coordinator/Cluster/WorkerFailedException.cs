namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A worker's call failed or missed its deadline. The message names the worker, its rank, the step and the
/// phase, e.g. "worker w-2 (rank 1) failed step 1042 (step): ABORTED ring ReduceScatter failed: ...".
/// </summary>
internal sealed class WorkerFailedException : Exception
{
    public WorkerFailedException(string workerId, int rank, long step, string phase, string detail, Exception? inner = null)
        : base($"worker {workerId} (rank {rank}) failed step {step} ({phase}): {detail}", inner)
    {
        WorkerId = workerId;
        Rank = rank;
        Step = step;
        Phase = phase;
    }

    public string WorkerId { get; }

    public int Rank { get; }

    public long Step { get; }

    /// <summary>"prepare", "step", "parameter sync", "evaluate".</summary>
    public string Phase { get; }
}
