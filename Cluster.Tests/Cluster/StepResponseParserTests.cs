using System.Buffers;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

public sealed class StepResponseParserTests
{
    private static readonly StepResult Result = new()
    {
        Shards = { new ShardOutcome { ShardIndex = 3, LossSum = 1.25, Correct = 7, Samples = 8 } },
        FirstNonFiniteIndex = -1,
        NonFiniteShard = -1,
        ComputeSeconds = 0.5,
    };

    [Fact]
    public void TryParse_GeneratedGradientPiece_OffsetAndValuesAsSent()
    {
        byte[] values = Enumerable.Range(0, 800).Select(i => (byte)i).ToArray();
        var message = new StepResponse { Gradients = new GradientPiece { Offset = 5_000_000_000, Values = ByteString.CopyFrom(values) } };

        string? problem = StepResponseParser.TryParse(new ReadOnlySequence<byte>(message.ToByteArray()), out StepResponseView view);

        Assert.Null(problem);
        Assert.Equal((StepResponse.KindOneofCase.Gradients, 5_000_000_000L, (StepResult?)null), (view.Kind, view.Offset, view.Result));
        Assert.Equal(values, view.Values.ToArray());
    }

    [Fact]
    public void TryParse_GeneratedResult_TheSameResult()
    {
        var message = new StepResponse { Result = Result };

        StepResponseParser.TryParse(new ReadOnlySequence<byte>(message.ToByteArray()), out StepResponseView view);

        Assert.Equal((StepResponse.KindOneofCase.Result, Result), (view.Kind, view.Result));
    }

    [Fact]
    public void TryParse_EmptyMessage_KindNone()
    {
        string? problem = StepResponseParser.TryParse(ReadOnlySequence<byte>.Empty, out StepResponseView view);

        Assert.Equal(((string?)null, StepResponse.KindOneofCase.None), (problem, view.Kind));
    }

    [Fact]
    public void TryParse_ValuesSplitAcrossSegments_ValuesAreTheWholeField()
    {
        byte[] values = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        byte[] bytes = new StepResponse { Gradients = new GradientPiece { Offset = 1, Values = ByteString.CopyFrom(values) } }.ToByteArray();

        StepResponseParser.TryParse(SegmentedSequence.Of(bytes, 5), out StepResponseView view);

        Assert.Equal(values, view.Values.ToArray());
    }

    [Theory]
    [InlineData("piece", "result")]
    [InlineData("result", "piece")]
    [InlineData("piece", "piece2")]
    [InlineData("result", "result2")]
    [InlineData("piece", "unknown", "result2", "piece2")]
    public void TryParse_ConcatenatedMessages_AgreesWithTheGeneratedParser(params string[] parts)
    {
        // Concatenated messages are one message with their fields merged: the generated parser's oneof and merge rules.
        byte[] bytes = [.. parts.SelectMany(Part)];
        var expected = StepResponse.Parser.ParseFrom(bytes);

        string? problem = StepResponseParser.TryParse(new ReadOnlySequence<byte>(bytes), out StepResponseView view);

        Assert.Null(problem);
        Assert.Equal(expected.KindCase, view.Kind);
        Assert.Equal(expected.Result, view.Result);
        Assert.Equal(expected.Gradients?.Offset ?? 0, view.Offset);
        Assert.Equal(expected.Gradients?.Values.ToByteArray() ?? [], view.Values.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 100, 1, 2 }, "gradients at byte 0 runs past the end")]
    [InlineData(new byte[] { 0x12, 100 }, "result at byte 0 runs past the end")]
    [InlineData(new byte[] { 0x0A, 2, 0x08, 0xFF }, "gradients.offset at byte 2 is a truncated varint")]
    [InlineData(new byte[] { 0x0A, 3, 0x12, 9, 1 }, "gradients.values at byte 2 runs past the end")]
    [InlineData(new byte[] { 0x0A, 2, 0x1B, 0 }, "gradients field 3 at byte 2: wire type 3 is not supported")]
    [InlineData(new byte[] { 0x00, 1 }, "bad field tag at byte 0")]
    [InlineData(new byte[] { 0x18, 0xFF }, "field 3 at byte 0: truncated varint")]
    public void TryParse_MalformedBytes_ProblemNamesTheFieldAndPlace(byte[] message, string expected)
    {
        string? problem = StepResponseParser.TryParse(new ReadOnlySequence<byte>(message), out _);

        Assert.Equal(expected, problem);
    }

    [Fact]
    public void TryParse_MalformedResult_ProblemNamesTheResult()
    {
        string? problem = StepResponseParser.TryParse(new ReadOnlySequence<byte>([0x12, 2, 0x08, 0xFF]), out _);

        Assert.StartsWith("result at byte 0: ", problem);
    }

    [Fact]
    public void TryParse_FullPiece_DoesNotCopyTheValues()
    {
        // A full 1 MiB piece: the generated parser would allocate a 1 MiB array for its values.
        byte[] bytes = new StepResponse
        {
            Gradients = new GradientPiece { Offset = 7, Values = ByteString.CopyFrom(new byte[1 << 20]) },
        }.ToByteArray();
        var message = SegmentedSequence.Of(bytes, 64 * 1024);
        StepResponseParser.TryParse(message, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        StepResponseParser.TryParse(message, out StepResponseView view);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1 << 20, view.Values.Length);
        Assert.True(allocated < 1024, $"parsing a 1 MiB piece allocated {allocated} bytes");
    }

    private static byte[] Part(string name) => name switch
    {
        "piece" => new StepResponse { Gradients = new GradientPiece { Offset = 3, Values = ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8) } }.ToByteArray(),
        "piece2" => new StepResponse { Gradients = new GradientPiece { Values = ByteString.CopyFrom(9, 9, 9, 9, 9, 9, 9, 9) } }.ToByteArray(),
        "result" => new StepResponse { Result = Result }.ToByteArray(),
        "result2" => new StepResponse { Result = new StepResult { Shards = { new ShardOutcome { ShardIndex = 4 } }, ComputeSeconds = 2 } }.ToByteArray(),
        // Field 9, varint 150: a field this side does not know.
        _ => [0x48, 0x96, 0x01],
    };
}
