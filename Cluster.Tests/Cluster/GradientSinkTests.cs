using System.Buffers;
using System.Runtime.InteropServices;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>A worker's gradient segment [2, 8) of a flat vector of 5 gradient sums and 3 buffer changes.</summary>
public sealed class GradientSinkTests
{
    private readonly FixedPointAccumulator _gradients = new(5);
    private readonly FixedPointAccumulator _bufferChanges = new(3);
    private readonly GradientSink _sink = new();

    public GradientSinkTests() => _sink.Begin(_gradients, _bufferChanges, 2, 8);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Accept_PiecesAcrossTheBufferBoundary_SumsThenBufferChanges(bool packed)
    {
        Assert.Null(_sink.Accept(2, Bytes([-3, 4], packed), packed));
        Assert.Null(_sink.Accept(4, Bytes([5, 1L << 40, -6, 7], packed), packed));

        Assert.Equal([0L, 0, -3, 4, 5], _gradients.Values.ToArray());
        Assert.Equal([1L << 40, -6, 7], _bufferChanges.Values.ToArray());
        Assert.Null(_sink.Missing());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Accept_PieceWithinTheSums_LeavesTheBufferChanges(bool packed)
    {
        Assert.Null(_sink.Accept(2, Bytes([1, 2, 3], packed), packed));

        Assert.Equal([0L, 0, 1, 2, 3], _gradients.Values.ToArray());
        Assert.Equal([0L, 0, 0], _bufferChanges.Values.ToArray());
        Assert.Equal("its gradient pieces cover [2, 5) of its segment [2, 8)", _sink.Missing());
    }

    [Fact]
    public void Accept_PackedPieceAtTheWrongOffset_Refused()
    {
        Assert.Equal("it sent 2 gradient elements at offset 3; expected the segment to continue at 2 up to 8",
            _sink.Accept(3, Bytes([1, 2], packed: true), packed: true));
    }

    [Fact]
    public void Accept_PackedPiecePastTheSegment_Refused()
    {
        Assert.Equal("its packed gradient piece at 2 does not start with an element count of at most 6",
            _sink.Accept(2, Bytes(new long[7], packed: true), packed: true));
    }

    [Fact]
    public void Accept_TruncatedPackedPiece_SaysWhy()
    {
        var bytes = Bytes([1, 2, 3], packed: true);

        Assert.StartsWith("its packed gradient piece at 2 does not unpack: the block at element 0 needs",
            _sink.Accept(2, bytes.Slice(0, bytes.Length - 1), packed: true), StringComparison.Ordinal);
    }

    [Fact]
    public void Accept_PackedPieceInTwoSegments_Unpacked()
    {
        byte[] packed = Bytes([9, -9, 8], packed: true).ToArray();
        var first = new Segment(packed.AsMemory(0, 2));
        var last = first.Append(packed.AsMemory(2));

        Assert.Null(_sink.Accept(2, new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length), packed: true));
        Assert.Equal([0L, 0, 9, -9, 8], _gradients.Values.ToArray());
    }

    private static ReadOnlySequence<byte> Bytes(long[] values, bool packed)
    {
        if (!packed)
        {
            return new ReadOnlySequence<byte>(MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }
        var buffer = new byte[PackedFixedPoint.MaxPackedBytes(values.Length)];
        return new ReadOnlySequence<byte>(buffer, 0, PackedFixedPoint.Pack(values, buffer));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
