namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>How a worker's call failed, which decides who is dropped from the ring.</summary>
internal enum WorkerFailureKind
{
    /// <summary>The worker answered with an error of its own (it refused the request): it is at fault, but alive.</summary>
    Refused,

    /// <summary>The connection was refused or reset: the worker's process is gone.</summary>
    Gone,

    /// <summary>No answer within the coordinator's deadline: the worker is at fault (alive or not).</summary>
    NoAnswer,

    /// <summary>The worker answered that a ring peer failed (<see cref="WorkerFailedException.PeerRank"/>): the peer is at fault.</summary>
    PeerFailed,
}
