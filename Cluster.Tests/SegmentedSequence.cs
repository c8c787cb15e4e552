using System.Buffers;

namespace DistributedTrainer.Tests;

/// <summary>Bytes as a multi-segment sequence, as a pipe hands over a message that arrived in several reads.</summary>
internal static class SegmentedSequence
{
    /// <summary><paramref name="bytes"/> cut into segments of <paramref name="segmentSize"/> bytes (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Of(byte[] bytes, int segmentSize)
    {
        Segment first = new(bytes.AsMemory(0, Math.Min(segmentSize, bytes.Length)), 0);
        Segment last = first;
        for (int at = segmentSize; at < bytes.Length; at += segmentSize)
        {
            last = last.Append(bytes.AsMemory(at, Math.Min(segmentSize, bytes.Length - at)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
