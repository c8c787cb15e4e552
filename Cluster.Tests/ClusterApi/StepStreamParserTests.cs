using System.Buffers;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.ClusterApi;

/// <summary>StepStreamParser on StepResponse (gradient pieces, result) and StepRequest (header, parameter pieces).</summary>
public sealed class StepStreamParserTests
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

        string? problem = Parse(new ReadOnlySequence<byte>(message.ToByteArray()), out var view);

        Assert.Null(problem);
        Assert.Equal((StepResponse.KindOneofCase.Gradients, 5_000_000_000L, (StepResult?)null), ((StepResponse.KindOneofCase)view.Field, view.Offset, view.Message));
        Assert.Equal(values, view.Values.ToArray());
    }

    [Fact]
    public void TryParse_GeneratedResult_TheSameResult()
    {
        var message = new StepResponse { Result = Result };

        Parse(new ReadOnlySequence<byte>(message.ToByteArray()), out var view);

        Assert.Equal((StepResponse.KindOneofCase.Result, Result), ((StepResponse.KindOneofCase)view.Field, view.Message));
    }

    [Fact]
    public void TryParse_EmptyMessage_KindNone()
    {
        string? problem = Parse(ReadOnlySequence<byte>.Empty, out var view);

        Assert.Equal(((string?)null, StepResponse.KindOneofCase.None), (problem, (StepResponse.KindOneofCase)view.Field));
    }

    [Fact]
    public void TryParse_ValuesSplitAcrossSegments_ValuesAreTheWholeField()
    {
        byte[] values = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        byte[] bytes = new StepResponse { Gradients = new GradientPiece { Offset = 1, Values = ByteString.CopyFrom(values) } }.ToByteArray();

        Parse(SegmentedSequence.Of(bytes, 5), out var view);

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

        string? problem = Parse(new ReadOnlySequence<byte>(bytes), out var view);

        Assert.Null(problem);
        Assert.Equal(expected.KindCase, (StepResponse.KindOneofCase)view.Field);
        Assert.Equal(expected.Result, view.Message);
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
        string? problem = Parse(new ReadOnlySequence<byte>(message), out _);

        Assert.Equal(expected, problem);
    }

    [Fact]
    public void TryParse_MalformedResult_ProblemNamesTheResult()
    {
        string? problem = Parse(new ReadOnlySequence<byte>([0x12, 2, 0x08, 0xFF]), out _);

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
        Parse(message, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Parse(message, out var view);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1 << 20, view.Values.Length);
        Assert.True(allocated < 1024, $"parsing a 1 MiB piece allocated {allocated} bytes");
    }

    [Fact]
    public void TryParse_GeneratedParameterPiece_OffsetAndValuesAsSent()
    {
        byte[] values = [1, 2, 3, 4, 5, 6, 7, 8];
        var message = new StepRequest { Parameters = new ParameterPiece { Offset = 12, Values = ByteString.CopyFrom(values) } };

        string? problem = StepStreamParser.TryParse(new ReadOnlySequence<byte>(message.ToByteArray()), StepStreamFields.Request, out StepStreamView<StepHeader> view);

        Assert.Null(problem);
        Assert.Equal((StepRequest.KindOneofCase.Parameters, 12L), ((StepRequest.KindOneofCase)view.Field, view.Offset));
        Assert.Equal(values, view.Values.ToArray());
    }

    [Fact]
    public void TryParse_GeneratedHeader_TheSameHeader()
    {
        var header = new StepHeader { JobId = "j-1", Generation = 2, Step = 3, SampleIds = { 4, 5 }, ShardLengths = { 2 }, ShardIndices = { 0 }, RingTimeoutMs = 9 };

        StepStreamParser.TryParse(new ReadOnlySequence<byte>(new StepRequest { Header = header }.ToByteArray()), StepStreamFields.Request, out StepStreamView<StepHeader> view);

        Assert.Equal((StepRequest.KindOneofCase.Header, header), ((StepRequest.KindOneofCase)view.Field, view.Message));
    }

    [Fact]
    public void TryParse_TruncatedParameterPiece_ProblemNamesTheField()
    {
        string? problem = StepStreamParser.TryParse(new ReadOnlySequence<byte>([0x12, 3, 0x12, 9, 1]), StepStreamFields.Request, out StepStreamView<StepHeader> _);

        Assert.Equal("parameters.values at byte 2 runs past the end", problem);
    }

    private static string? Parse(ReadOnlySequence<byte> message, out StepStreamView<StepResult> view) =>
        StepStreamParser.TryParse(message, StepStreamFields.Response, out view);

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
