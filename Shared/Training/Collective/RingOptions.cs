namespace DistributedTrainer.Training.Collective;

/// <summary>Tuning of <see cref="RingAllReduce"/>; validated when the ring is created.</summary>
public sealed record RingOptions
{
    /// <summary>Largest payload accepted for <see cref="MaxPieceBytes"/>: gRPC receivers take 4 MiB messages by default.</summary>
    public const int MaxPieceBytesLimit = 4 * 1024 * 1024 - 64 * 1024;

    /// <summary>
    /// Longest wait for one piece to be sent to the next rank or received from the previous one. Default 10 s.
    /// A peer that stays silent longer is named in a <see cref="RingException"/>.
    /// </summary>
    public TimeSpan PieceTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest payload of one piece, in bytes; a segment is sent as pieces of at most this size. Default 1 MiB;
    /// must be in [8, <see cref="MaxPieceBytesLimit"/>]. Rounded down to whole elements.
    /// </summary>
    public int MaxPieceBytes { get; init; } = 1024 * 1024;

    internal void Validate()
    {
        if (PieceTimeout <= TimeSpan.Zero && PieceTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentException($"Invalid PieceTimeout: {PieceTimeout} (must be positive or infinite)");
        }

        if (MaxPieceBytes < 8 || MaxPieceBytes > MaxPieceBytesLimit)
        {
            throw new ArgumentException($"Invalid MaxPieceBytes: {MaxPieceBytes} (must be in [8, {MaxPieceBytesLimit}])");
        }
    }
}
