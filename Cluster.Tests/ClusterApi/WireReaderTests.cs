using System.Buffers;
using DistributedTrainer.ClusterApi;
using Xunit;

namespace DistributedTrainer.Tests.ClusterApi;

public sealed class WireReaderTests
{
    [Theory]
    [InlineData(new byte[] { 0x00 }, 0UL)]
    [InlineData(new byte[] { 0x96, 0x01 }, 150UL)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, ulong.MaxValue)]
    public void TryReadVarint_EncodedValue_ValueAndEveryByteRead(byte[] bytes, ulong expected)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));

        bool read = WireReader.TryReadVarint(ref reader, out ulong value);

        Assert.Equal((true, expected, bytes.Length), (read, value, (int)reader.Consumed));
    }

    [Theory]
    [InlineData(new byte[] { 0x96 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    public void TryReadVarint_TruncatedOrOverTenBytes_False(byte[] bytes)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));

        Assert.False(WireReader.TryReadVarint(ref reader, out _));
    }

    [Fact]
    public void TryReadLengthDelimited_SegmentedBytes_TheFieldWhereItLies()
    {
        byte[] bytes = [5, 1, 2, 3, 4, 5, 6];
        var message = SegmentedSequence.Of(bytes, 2);
        var reader = new SequenceReader<byte>(message);

        bool read = WireReader.TryReadLengthDelimited(ref reader, out ReadOnlySequence<byte> value);

        Assert.Equal((true, 6L), (read, reader.Consumed));
        Assert.Equal([1, 2, 3, 4, 5], value.ToArray());
        Assert.Equal(message.GetPosition(1), value.Start);
    }

    [Fact]
    public void TryReadLengthDelimited_LengthPastTheEnd_False()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>([3, 1, 2]));

        Assert.False(WireReader.TryReadLengthDelimited(ref reader, out _));
    }

    [Theory]
    [InlineData(0x08UL, new byte[] { 0x96, 0x01 })]
    [InlineData(0x09UL, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData(0x0AUL, new byte[] { 2, 9, 9 })]
    [InlineData(0x0DUL, new byte[] { 1, 2, 3, 4 })]
    public void SkipField_EachWireType_SkipsExactlyTheValue(ulong tag, byte[] value)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>([.. value, 0x77]));

        string? problem = WireReader.SkipField(ref reader, tag);

        Assert.Equal(((string?)null, (long)value.Length), (problem, reader.Consumed));
    }

    [Theory]
    [InlineData(0x08UL, new byte[] { 0x96 }, "truncated varint")]
    [InlineData(0x09UL, new byte[] { 1, 2, 3 }, "truncated fixed64")]
    [InlineData(0x0AUL, new byte[] { 5, 1 }, "length runs past the end")]
    [InlineData(0x0DUL, new byte[] { 1 }, "truncated fixed32")]
    [InlineData(0x0BUL, new byte[] { 1 }, "wire type 3 is not supported")]
    public void SkipField_TruncatedOrUnsupported_SaysWhat(ulong tag, byte[] value, string expected)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(value));

        Assert.Equal(expected, WireReader.SkipField(ref reader, tag));
    }
}
