using DistributedTrainer.Training.Collective;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A trainer.v1.RingChunk as the receiving rank reads it (<see cref="Read"/>): its piece, the payload copied once from
/// the response body into a pooled buffer, or what is wrong with it. Bad bytes travel as a value to the transport,
/// which fails the receive naming the chunk's number and the reason, rather than as an exception from the marshaller,
/// which the client would report as a status of its own.
/// </summary>
internal sealed class IncomingRingChunk
{
    private IncomingRingChunk(string jobId, int fromRank, RingPiece? piece, string? malformed, string? invalid)
    {
        JobId = jobId;
        FromRank = fromRank;
        Piece = piece;
        Malformed = malformed;
        Invalid = invalid;
    }

    public string JobId { get; }

    public int FromRank { get; }

    /// <summary>The piece to queue (its buffer returns to the pool when it is disposed); null when the chunk is bad.</summary>
    public RingPiece? Piece { get; }

    /// <summary>Why the bytes are not a RingChunk; null when they are.</summary>
    public string? Malformed { get; }

    /// <summary>Why the chunk cannot be queued (<see cref="RingChunkMapping.Problem"/>); null when it is well formed.</summary>
    public string? Invalid { get; }

    /// <summary>Reads the message in <paramref name="context"/>; its bytes are valid only during this call.</summary>
    public static IncomingRingChunk Read(DeserializationContext context)
    {
        if (RingChunkParser.TryParse(context.PayloadAsReadOnlySequence(), out RingChunkView chunk) is { } malformed)
        {
            return new IncomingRingChunk(string.Empty, 0, null, malformed, null);
        }

        if (RingChunkMapping.Problem(chunk) is { } problem)
        {
            return new IncomingRingChunk(chunk.JobId, chunk.FromRank, null, null, problem);
        }

        return new IncomingRingChunk(chunk.JobId, chunk.FromRank, RingChunkMapping.ToPiece(chunk), null, null);
    }
}
