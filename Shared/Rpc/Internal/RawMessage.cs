using System.Buffers;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>One message read by <see cref="MessageReader.ReadRawAsync"/>, or the end of the stream.</summary>
/// <param name="Payload">The serialized message.</param>
/// <param name="Consumed">Where the pipe may advance to once the payload is no longer read; null when it already did.</param>
internal readonly record struct RawMessage(ReadOnlySequence<byte> Payload, SequencePosition? Consumed)
{
    /// <summary>The clean end of the stream: no message.</summary>
    public static RawMessage End { get; } = new(ReadOnlySequence<byte>.Empty, null) { IsEnd = true };

    /// <summary>True at the end of the stream.</summary>
    public bool IsEnd { get; private init; }
}
