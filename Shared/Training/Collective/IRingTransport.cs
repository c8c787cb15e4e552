namespace DistributedTrainer.Training.Collective;

/// <summary>
/// One rank's link in a ring: it sends pieces to the next rank and receives the pieces the previous rank sent,
/// in the order they were sent. <see cref="RingAllReduce"/> drives it; implementations only move bytes.
/// </summary>
/// <remarks>
/// Deadlines come in as cancellation: <see cref="RingAllReduce"/> cancels a send or a receive that exceeds
/// <see cref="RingOptions.PieceTimeout"/>, so both must stop promptly when the token is cancelled. After any
/// failure the link's state is unknown: dispose it and prepare a new one before the step is re-run.
/// </remarks>
public interface IRingTransport
{
    /// <summary>
    /// Sends one piece to the next rank. The transport is done with <paramref name="payload"/> when the returned
    /// task completes (the caller reuses the buffer). A full queue at the receiver makes it wait.
    /// </summary>
    ValueTask SendAsync(RingPieceHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for the next piece from the previous rank and hands it to <paramref name="reader"/> once before it
    /// returns. A piece the transport itself finds malformed never reaches the reader: the receive fails instead.
    /// </summary>
    ValueTask ReceiveAsync(IRingPieceReader reader, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a piece sent now crosses as a plain copy in memory (a shared-memory inbox), where packing the
    /// reduce-scatter's sums costs more than the bytes it saves: the ring then sends them raw.
    /// </summary>
    bool SendsByMemoryCopy { get; }
}
