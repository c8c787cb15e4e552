using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Collective;

namespace DistributedTrainer.Worker.Collective;

/// <summary>Maps trainer.v1.RingChunk to the ring's pieces and back; the only place that knows both.</summary>
internal static class RingChunkMapping
{
    /// <summary>The piece header of a received chunk.</summary>
    public static RingPieceHeader Header(in RingChunkView chunk) =>
        new(chunk.Step, FromProto(chunk.Phase), chunk.Round, chunk.ChunkIndex, chunk.Offset, chunk.FromRank, FromProto(chunk.Encoding));

    /// <summary>The reason a received chunk cannot be handed to the ring, or null when it is well formed.</summary>
    public static string? Problem(in RingChunkView chunk) =>
        chunk.JobId.Length == 0 ? "job_id is empty"
        : chunk.FromRank < 0 ? $"from_rank {chunk.FromRank} is negative"
        : chunk.Phase is not (RingPhase.ReduceScatter or RingPhase.AllGather) ? $"phase {chunk.Phase} is not REDUCE_SCATTER or ALL_GATHER"
        : chunk.Round < 0 || chunk.ChunkIndex < 0 || chunk.Offset < 0 ? $"round {chunk.Round}, chunk_index {chunk.ChunkIndex} and offset {chunk.Offset} must be >= 0"
        : chunk.Encoding is not (RingEncoding.Raw or RingEncoding.FixedPointBlocks) ? $"encoding {(int)chunk.Encoding} is not RAW or FIXED_POINT_BLOCKS"
        : chunk.Encoding == RingEncoding.FixedPointBlocks && chunk.Phase != RingPhase.ReduceScatter ? $"encoding FIXED_POINT_BLOCKS in phase {chunk.Phase} (reduce-scatter only)"
        : chunk.Encoding == RingEncoding.Raw && chunk.Payload.Length % 4 != 0 ? $"payload of {chunk.Payload.Length} bytes is not whole elements"
        : null;

    /// <summary>The wire value of a ring phase.</summary>
    public static RingPhase ToProto(CollectivePhase phase) => phase switch
    {
        CollectivePhase.ReduceScatter => RingPhase.ReduceScatter,
        CollectivePhase.AllGather => RingPhase.AllGather,
        _ => throw new ArgumentException($"Invalid phase: {phase} (not a ring phase)", nameof(phase)),
    };

    /// <summary>The wire value of a payload encoding.</summary>
    public static RingEncoding ToProto(PieceEncoding encoding) => encoding switch
    {
        PieceEncoding.Raw => RingEncoding.Raw,
        PieceEncoding.FixedPointBlocks => RingEncoding.FixedPointBlocks,
        _ => throw new ArgumentException($"Invalid encoding: {encoding} (not a ring encoding)", nameof(encoding)),
    };

    private static PieceEncoding FromProto(RingEncoding encoding) => encoding switch
    {
        RingEncoding.Raw => PieceEncoding.Raw,
        RingEncoding.FixedPointBlocks => PieceEncoding.FixedPointBlocks,
        _ => throw new ArgumentException($"Invalid encoding: {encoding} (not a ring encoding)", nameof(encoding)),
    };

    private static CollectivePhase FromProto(RingPhase phase) => phase switch
    {
        RingPhase.ReduceScatter => CollectivePhase.ReduceScatter,
        RingPhase.AllGather => CollectivePhase.AllGather,
        _ => throw new ArgumentException($"Invalid phase: {phase} (not a ring phase)", nameof(phase)),
    };
}
