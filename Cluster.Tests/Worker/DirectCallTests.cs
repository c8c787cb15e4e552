using System.Diagnostics;
using DistributedTrainer.Tests.Transport;
using DistributedTrainer.Transport.Internal;
using DistributedTrainer.Worker.Direct;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// Which connections a worker serves itself (<see cref="DirectCall.StartIn"/>): only a lean client's sole-request gRPC
/// call with nothing a direct call leaves to Kestrel; every other goes to Kestrel.
/// </summary>
public sealed class DirectCallTests
{
    [Fact]
    public void StartIn_TheRequestsBodyInTheSameRead_EndsAfterTheHeadersFrame()
    {
        const string traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        byte[] headers = Http2Frames.Frame(0x1, 0x4, 1, HeaderBlock(("dt-sole-request", "1"), ("authorization", "Bearer t"), ("traceparent", traceParent)));
        byte[] start = [.. Preface, .. Http2Frames.Frame(0x4, 0, 0, new byte[6]), .. headers];
        byte[] received = [.. start, .. Http2Frames.Frame(0x0, 0, 1, new byte[20])[..12]];

        var call = DirectCall.StartIn(received);

        Assert.True(ActivityContext.TryParse(traceParent, null, isRemote: true, out ActivityContext caller));
        Assert.Equal(new DirectCall.Start(start.Length, 1, "/trainer.v1.WorkerControl/Step", "Bearer t", caller), call);
    }

    [Theory]
    [InlineData("POST", false, 0x4, "", "no sole-request header")]
    [InlineData("GET", true, 0x4, "", "not a POST")]
    [InlineData("POST", true, 0x0, "", "headers continued in a CONTINUATION frame")]
    [InlineData("POST", true, 0x24, "", "a priority block")]
    [InlineData("POST", true, 0x4, "grpc-timeout", "a deadline, which Kestrel's gRPC keeps")]
    [InlineData("POST", true, 0x4, "grpc-encoding", "a compressed request")]
    public void StartIn_NotADirectCall_Null(string method, bool soleRequest, byte flags, string extraHeader, string why)
    {
        List<(string, string)> extra = soleRequest ? [("dt-sole-request", "1")] : [];
        if (extraHeader.Length > 0)
        {
            extra.Add((extraHeader, extraHeader == "grpc-timeout" ? "5S" : "gzip"));
        }
        byte[] received = [.. Preface, .. Http2Frames.Frame(0x1, flags, 1, HeaderBlock(method, [.. extra]))];

        Assert.True(DirectCall.StartIn(received) is null, why);
    }

    [Fact]
    public void StartIn_HuffmanCodedHeadersOrAFrameCutShort_Null()
    {
        byte[] huffman = [0x00, 0x81, 0xFF, 0x01, (byte)'x'];
        byte[] whole = Http2Frames.Frame(0x1, 0x4, 1, HeaderBlock(("dt-sole-request", "1")));

        Assert.Null(DirectCall.StartIn([.. Preface, .. Http2Frames.Frame(0x1, 0x4, 1, huffman)]));
        Assert.Null(DirectCall.StartIn([.. Preface, .. whole[..^1]]));
        Assert.Null(DirectCall.StartIn(whole));
    }

    private static readonly byte[] Preface = Http2Framing.Preface.ToArray();

    private static byte[] HeaderBlock(params (string Name, string Value)[] extra) => HeaderBlock("POST", extra);

    private static byte[] HeaderBlock(string method, (string Name, string Value)[] extra)
    {
        var block = new List<byte>();
        (string, string)[] fields = [(":method", method), (":scheme", "http"), (":path", "/trainer.v1.WorkerControl/Step"), ("content-type", "application/grpc"), .. extra];
        foreach ((string name, string value) in fields)
        {
            HPack.WriteLiteral(block, name, value);
        }
        return [.. block];
    }
}
