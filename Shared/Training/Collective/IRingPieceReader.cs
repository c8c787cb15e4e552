namespace DistributedTrainer.Training.Collective;

/// <summary>
/// What a rank does with a piece it receives: <see cref="IRingTransport.ReceiveAsync"/> hands the piece over while
/// the transport's own bytes hold it, so the ring adds or copies it into place from there instead of from a copy.
/// </summary>
public interface IRingPieceReader
{
    /// <summary>
    /// Takes one piece. <paramref name="payload"/> is valid only during the call. Must not throw: a transport may call
    /// it from inside its message parsing, where an exception would be reported as the transport's own failure; a
    /// reader that finds the piece wrong keeps the reason for its caller instead.
    /// </summary>
    void Read(RingPieceHeader header, ReadOnlySpan<byte> payload);
}
