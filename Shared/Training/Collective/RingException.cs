namespace DistributedTrainer.Training.Collective;

/// <summary>
/// A ring step failed because of a peer: it sent nothing in time, sent a piece that does not fit, or its link
/// broke. <see cref="PeerRank"/> names the peer so the coordinator can drop it and re-run the step.
/// </summary>
public sealed class RingException : Exception
{
    public RingException()
    {
    }

    public RingException(string message)
        : base(message)
    {
    }

    public RingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal RingException(string message, int rank, int peerRank, CollectivePhase phase, int round, int chunkIndex, Exception? innerException = null)
        : base(message, innerException)
    {
        Rank = rank;
        PeerRank = peerRank;
        Phase = phase;
        Round = round;
        ChunkIndex = chunkIndex;
    }

    /// <summary>The rank that observed the failure.</summary>
    public int Rank { get; }

    /// <summary>The peer at fault: the previous rank for a receive, the next rank for a send.</summary>
    public int PeerRank { get; }

    public CollectivePhase Phase { get; }

    public int Round { get; }

    public int ChunkIndex { get; }

    /// <summary>True when the failure was a missed deadline (the inner exception is a <see cref="TimeoutException"/>).</summary>
    public bool IsTimeout => InnerException is TimeoutException;
}
