using Grpc.Core;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A worker's call failed or missed its deadline. The message names the worker, its rank, the step and the
/// phase, e.g. "worker w-2 (rank 1) failed step 1042 (step): ABORTED ring ReduceScatter failed: ...".
/// <see cref="Kind"/> and <see cref="PeerRank"/> say who is at fault: the worker itself, or the ring peer it
/// could not hear from or send to.
/// </summary>
internal sealed class WorkerFailedException : Exception
{
    public WorkerFailedException(string workerId, int rank, long step, string phase, string detail, Exception? inner = null,
        WorkerFailureKind kind = WorkerFailureKind.Refused, int? peerRank = null, string? ringPiece = null, (int Phase, int Round)? ringPosition = null)
        : base($"worker {workerId} (rank {rank}) failed step {step} ({phase}): {detail}", inner)
    {
        WorkerId = workerId;
        Rank = rank;
        Step = step;
        Phase = phase;
        Detail = detail;
        Kind = kind;
        PeerRank = peerRank;
        RingPiece = ringPiece;
        RingPosition = ringPosition;
    }

    public string WorkerId { get; }

    public int Rank { get; }

    public long Step { get; }

    /// <summary>"prepare", "step", "parameter sync", "evaluate".</summary>
    public string Phase { get; }

    /// <summary>What went wrong, without the worker, step and phase.</summary>
    public string Detail { get; }

    public WorkerFailureKind Kind { get; }

    /// <summary>For <see cref="WorkerFailureKind.PeerFailed"/>: the ring rank the worker could not hear from or send to.</summary>
    public int? PeerRank { get; }

    /// <summary>For <see cref="WorkerFailureKind.PeerFailed"/>: the piece that did not arrive or go, e.g. "reduce-scatter chunk 2".</summary>
    public string? RingPiece { get; }

    /// <summary>
    /// For <see cref="WorkerFailureKind.PeerFailed"/>: where in the step the ring failed (phase 0: all-gather, 1:
    /// reduce-scatter; then the round). The earliest report names the rank that started a cascade.
    /// </summary>
    public (int Phase, int Round)? RingPosition { get; }

    /// <summary>
    /// The worker refused the request as invalid (INVALID_ARGUMENT, e.g. a spec whose data it cannot read): every
    /// worker would, so the job fails rather than dropping workers one by one.
    /// </summary>
    public bool IsInvalidRequest => InnerException is RpcException { StatusCode: StatusCode.InvalidArgument };
}
