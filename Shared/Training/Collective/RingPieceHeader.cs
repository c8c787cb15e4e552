namespace DistributedTrainer.Training.Collective;

/// <summary>What a piece of a ring step is: the coordinates the receiver checks before it uses the payload.</summary>
/// <param name="Step">Training step the vector belongs to.</param>
/// <param name="Phase">Reduce-scatter (add) or all-gather (copy).</param>
/// <param name="Round">Ring round within the phase, 0 .. size - 2.</param>
/// <param name="ChunkIndex">Piece number within the segment sent this round.</param>
/// <param name="Offset">Index in the vector, in elements, of the payload's first element.</param>
/// <param name="FromRank">Rank of the sender.</param>
/// <param name="Encoding">How the payload holds its elements; <see cref="PieceEncoding.FixedPointBlocks"/> in a reduce-scatter only.</param>
public readonly record struct RingPieceHeader(long Step, CollectivePhase Phase, int Round, int ChunkIndex, long Offset, int FromRank,
    PieceEncoding Encoding = PieceEncoding.Raw);
