using System.Buffers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Worker.Collective;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

public sealed class RingChunkParserTests
{
    [Fact]
    public void TryParse_GeneratedSerializer_EveryFieldAndThePayloadBytes()
    {
        var chunk = new RingChunk
        {
            JobId = "j-ü",
            Step = 1L << 40,
            Phase = RingPhase.AllGather,
            Round = 3,
            ChunkIndex = 7,
            Offset = 5_000_000_000,
            FromRank = 2,
            Payload = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, 8]),
            Encoding = RingEncoding.FixedPointBlocks,
        };

        string? problem = RingChunkParser.TryParse(new ReadOnlySequence<byte>(chunk.ToByteArray()), out RingChunkView view);

        Assert.Null(problem);
        Assert.Equal((chunk.JobId, chunk.Step, chunk.Phase, chunk.Round, chunk.ChunkIndex, chunk.Offset, chunk.FromRank, chunk.Encoding),
            (view.JobId, view.Step, view.Phase, view.Round, view.ChunkIndex, view.Offset, view.FromRank, view.Encoding));
        Assert.Equal(chunk.Payload.ToByteArray(), view.Payload.ToArray());
    }

    [Fact]
    public void TryParse_NegativeInt32Fields_LowBitsAsTheGeneratedParserReadsThem()
    {
        var chunk = new RingChunk { JobId = "j", Round = -1, FromRank = int.MinValue, Offset = -2 };

        RingChunkParser.TryParse(new ReadOnlySequence<byte>(chunk.ToByteArray()), out RingChunkView view);

        Assert.Equal((-1, int.MinValue, -2L), (view.Round, view.FromRank, view.Offset));
    }

    [Fact]
    public void TryParse_UnknownFieldsAndARepeatedField_SkippedAndLastWins()
    {
        // field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32, then round twice.
        byte[] message = [0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5A, 2, 9, 9, 0x65, 1, 2, 3, 4, 0x20, 5, 0x20, 6];

        string? problem = RingChunkParser.TryParse(new ReadOnlySequence<byte>(message), out RingChunkView view);

        Assert.Equal(((string?)null, 6), (problem, view.Round));
    }

    [Fact]
    public void TryParse_PayloadSplitAcrossSegments_PayloadIsTheWholeField()
    {
        byte[] bytes = new RingChunk { JobId = "j", Payload = ByteString.CopyFrom(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()) }.ToByteArray();

        RingChunkParser.TryParse(SegmentedSequence.Of(bytes, 5), out RingChunkView view);

        Assert.Equal(Enumerable.Range(0, 64).Select(i => (byte)i), view.Payload.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x3A, 100, 1, 2 }, "payload at byte 0 runs past the end")]
    [InlineData(new byte[] { 0x10, 0xFF }, "field 2 at byte 0 is a truncated varint")]
    [InlineData(new byte[] { 0x00, 1 }, "bad field tag at byte 0")]
    [InlineData(new byte[] { 0x0A, 1, 0x41, 0x4B }, "field 9 at byte 3: wire type 3 is not supported")]
    public void TryParse_MalformedBytes_ProblemNamesTheFieldAndPlace(byte[] message, string expected)
    {
        string? problem = RingChunkParser.TryParse(new ReadOnlySequence<byte>(message), out _);

        Assert.Equal(expected, problem);
    }
}
