using System.Buffers;
using System.Runtime.InteropServices;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>A worker's segment [2, 8) of a flat mean gradient of 5 gradient elements and 3 buffer changes.</summary>
public sealed class GradientSinkTests
{
    private readonly StepGradient _gradient = new(5, 3);
    private readonly GradientSink _sink = new();

    public GradientSinkTests() => _sink.Begin(_gradient, 2, 8);

    [Fact]
    public void Accept_PiecesAcrossTheBufferBoundary_SumsThenBufferChanges()
    {
        Assert.Null(_sink.Accept(2, Bytes([-3, 4.5f])));
        Assert.Null(_sink.Accept(4, Bytes([5, 1e-30f, -6, float.MaxValue])));

        Assert.Equal([0f, 0, -3, 4.5f, 5], _gradient.Gradient);
        Assert.Equal([1e-30f, -6, float.MaxValue], _gradient.BufferChange);
        Assert.Null(_sink.Missing());
    }

    [Fact]
    public void Accept_PieceWithinTheSums_LeavesTheBufferChanges()
    {
        Assert.Null(_sink.Accept(2, Bytes([1, 2, 3])));

        Assert.Equal([0f, 0, 1, 2, 3], _gradient.Gradient);
        Assert.Equal([0f, 0, 0], _gradient.BufferChange);
        Assert.Equal("its gradient pieces cover [2, 5) of its segment [2, 8)", _sink.Missing());
    }

    [Fact]
    public void Accept_PieceAtTheWrongOffset_Refused()
    {
        Assert.Equal("it sent 2 gradient elements at offset 3; expected the segment to continue at 2 up to 8",
            _sink.Accept(3, Bytes([1, 2])));
    }

    [Fact]
    public void Accept_PiecePastTheSegment_Refused()
    {
        Assert.Equal("it sent 7 gradient elements at offset 2; expected the segment to continue at 2 up to 8",
            _sink.Accept(2, Bytes(new float[7])));
    }

    [Fact]
    public void Accept_PartialElement_SaysWhy()
    {
        var bytes = Bytes([1, 2, 3]);

        Assert.Equal("its gradient piece at 2 holds 11 bytes, not whole float32 elements", _sink.Accept(2, bytes.Slice(0, bytes.Length - 1)));
    }

    [Fact]
    public void Accept_PieceInTwoSegments_Copied()
    {
        byte[] raw = Bytes([9, -9, 8]).ToArray();
        var first = new Segment(raw.AsMemory(0, 5));
        var last = first.Append(raw.AsMemory(5));

        Assert.Null(_sink.Accept(2, new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length)));

        Assert.Equal([0f, 0, 9, -9, 8], _gradient.Gradient);
    }

    [Fact]
    public void Accept_InAParameterSync_Refused()
    {
        _sink.Begin(null, 0, 0);

        Assert.Equal("it sent a gradient piece where none was due (outside a step, or in a parameter sync)", _sink.Accept(0, Bytes([1])));
        Assert.Null(_sink.Missing());
    }

    private static ReadOnlySequence<byte> Bytes(float[] values) => new(MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

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
