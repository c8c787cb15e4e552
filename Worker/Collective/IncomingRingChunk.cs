using System.Buffers;
using DistributedTrainer.Training.Collective;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A trainer.v1.RingChunk as the receiving rank reads it (<see cref="Read"/>): checked, and its piece handed to the
/// ring's reader straight from the response body, or what is wrong with it. Bad bytes travel as a value to the
/// transport, which fails the receive naming the chunk's number and the reason, rather than as an exception from the
/// marshaller, which the client would report as a status of its own.
/// </summary>
internal sealed class IncomingRingChunk
{
    /// <summary>A chunk whose piece the reader took.</summary>
    public static readonly IncomingRingChunk Delivered = new(null);

    /// <summary>The chunk that moves the stream's pieces to this rank's shared-memory inbox; no reader was called.</summary>
    public static readonly IncomingRingChunk MovedToSharedMemory = new(null, sharedMemory: true);

    private IncomingRingChunk(string? problem, bool sharedMemory = false)
    {
        Problem = problem;
        SharedMemory = sharedMemory;
    }

    /// <summary>Whether this was the chunk that moves the stream's pieces to the shared-memory inbox.</summary>
    public bool SharedMemory { get; }

    /// <summary>Why the chunk was not handed to the reader: not a RingChunk, not well formed, or from another stream; null when it was.</summary>
    public string? Problem { get; }

    /// <summary>
    /// Reads the message in <paramref name="context"/>, whose bytes are valid only during this call, and hands its piece
    /// to <paramref name="reader"/> when it is a well-formed chunk of <paramref name="jobId"/> from <paramref name="fromRank"/>.
    /// </summary>
    /// <param name="reader">The ring's reader of the receive waiting for this chunk; null when none waits.</param>
    public static IncomingRingChunk Read(DeserializationContext context, string jobId, int fromRank, IRingPieceReader? reader)
    {
        if (RingChunkParser.TryParse(context.PayloadAsReadOnlySequence(), out RingChunkView chunk) is { } malformed)
        {
            return new IncomingRingChunk(malformed);
        }

        string? problem = RingChunkMapping.Problem(chunk)
            ?? (chunk.JobId != jobId || chunk.FromRank != fromRank ? $"job {chunk.JobId} from rank {chunk.FromRank} on the stream of job {jobId} from rank {fromRank}" : null);
        if (problem is null && chunk.SharedMemory)
        {
            return chunk.Payload.IsEmpty ? MovedToSharedMemory : new IncomingRingChunk("a chunk moving to shared memory carries a payload");
        }
        problem ??= (reader is null ? "no receive was waiting for it" : null);
        if (problem is not null)
        {
            return new IncomingRingChunk(problem);
        }

        RingPieceHeader header = RingChunkMapping.Header(chunk);
        ReadOnlySequence<byte> payload = chunk.Payload;
        if (payload.IsSingleSegment)
        {
            reader!.Read(header, payload.FirstSpan);
            return Delivered;
        }

        // A message the client buffered in more than one segment: the reader takes one span, so it gets a copy.
        int length = checked((int)payload.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(rented);
            reader!.Read(header, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        return Delivered;
    }
}
