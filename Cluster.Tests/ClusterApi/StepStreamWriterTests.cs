using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.ClusterApi;

public sealed class StepStreamWriterTests
{
    private static readonly Marshaller<(long Offset, byte[] Values)> Pieces = Marshallers.Create<(long Offset, byte[] Values)>(
        (piece, context) => StepStreamWriter.WritePiece(context, StepStreamFields.Response, piece.Offset, piece.Values), _ => default);

    private static readonly Marshaller<StepHeader> Headers = Marshallers.Create<StepHeader>(
        (header, context) => StepStreamWriter.WriteMessage(context, StepStreamFields.Request, header), _ => new StepHeader());

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(0L, 8)]
    [InlineData(5_000_000_000L, 8)]
    [InlineData(-1L, 16)]
    [InlineData(300L, 1 << 20)]
    public void WritePiece_AnyOffsetAndLength_TheGeneratedSerializersBytes(long offset, int bytes)
    {
        byte[] values = [.. Enumerable.Range(0, bytes).Select(i => (byte)(i * 7))];
        byte[] expected = new StepResponse { Gradients = new GradientPiece { Offset = offset, Values = ByteString.CopyFrom(values) } }.ToByteArray();

        var written = BufferSerializationContext.Serialize(Pieces, (offset, values));

        Assert.Equal(expected, written.Written);
        Assert.Equal((expected.Length, true), (written.PayloadLength, written.Completed));
    }

    [Fact]
    public void WriteMessage_Header_TheGeneratedSerializersBytes()
    {
        var header = new StepHeader { JobId = "j-ü", Generation = 2, Step = 3, SampleIds = { 4, 5, 600 }, ShardLengths = { 3 }, ShardIndices = { 0 } };
        byte[] expected = new StepRequest { Header = header }.ToByteArray();

        var written = BufferSerializationContext.Serialize(Headers, header);

        Assert.Equal(expected, written.Written);
        Assert.Equal(expected.Length, written.PayloadLength);
    }

    [Fact]
    public void WriteMessage_EmptyHeader_TheGeneratedSerializersBytes()
    {
        byte[] expected = new StepRequest { Header = new StepHeader() }.ToByteArray();

        var written = BufferSerializationContext.Serialize(Headers, new StepHeader());

        Assert.Equal(expected, written.Written);
    }
}
