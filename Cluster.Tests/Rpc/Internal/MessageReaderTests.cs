using System.IO.Pipelines;
using DistributedTrainer.Rpc;
using DistributedTrainer.Rpc.Internal;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Rpc.Internal;

public sealed class MessageReaderTests
{
    private const int MaxSize = 64 * 1024;

    [Fact]
    public async Task ReadAsync_TwoFramesThenEnd_TwoMessagesThenNull()
    {
        PipeReader reader = Completed([.. Frame("a"), .. Frame("b")]);

        List<string?> texts = [(await Read(reader))?.Text, (await Read(reader))?.Text, (await Read(reader))?.Text];

        Assert.Equal(new List<string?> { "a", "b", null }, texts);
    }

    [Fact]
    public async Task ReadAsync_FrameSplitAcrossWrites_WaitsForTheRest()
    {
        var pipe = new Pipe();
        byte[] frame = Frame(new string('x', 10_000));
        await pipe.Writer.WriteAsync(frame.AsMemory(0, 7000));
        ValueTask<EchoRequest?> pending = Read(pipe.Reader);
        Assert.False(pending.IsCompleted);

        await pipe.Writer.WriteAsync(frame.AsMemory(7000));
        EchoRequest? message = await pending;

        Assert.Equal(10_000, message?.Text.Length);
    }

    [Fact]
    public async Task ReadAsync_PrefixOverLimit_FailsAtOnceWithoutWaitingForThePayload()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(RawGrpcClient.Frame([], length: int.MaxValue));

        ValueTask<EchoRequest?> read = Read(pipe.Reader);

        Assert.True(read.IsCompleted);
        Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<RpcException>(async () => await read)).StatusCode);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsInsideFrame_Internal()
    {
        PipeReader reader = Completed(Frame("hello")[..^2]);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Read(reader));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadAsync_InvalidCompressedFlag_Internal()
    {
        PipeReader reader = Completed(RawGrpcClient.Frame([], flag: 2));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Read(reader));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadAsync_GzipFrame_Decompressed()
    {
        PipeReader reader = Completed(RawGrpcClient.Frame(GzipCodec.Compress(new EchoRequest { Text = "z" }.ToByteArray()), flag: 1));

        EchoRequest? message = await MessageReader.ReadAsync(reader, EchoRequest.Parser, MaxSize, "gzip", CancellationToken.None);

        Assert.Equal("z", message?.Text);
    }

    [Fact]
    public async Task ReadAsync_SeededFuzz_OnlyInternalOrResourceExhaustedAndBoundedAllocation()
    {
        var random = new Random(20240611);
        var unexpected = new List<string>();
        long worstAllocation = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] body = FuzzBodies.Next(random, MaxSize);
            PipeReader reader = Completed(body);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                // Every read completes synchronously on a completed in-memory pipe, so this thread's count is the whole cost.
                while (await MessageReader.ReadAsync(reader, EchoRequest.Parser, MaxSize, "gzip", CancellationToken.None) is not null)
                {
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Internal or StatusCode.ResourceExhausted)
            {
            }
            catch (Exception e)
            {
                unexpected.Add($"case {i}: {e.GetType().Name}: {e.Message}");
            }

            worstAllocation = Math.Max(worstAllocation, GC.GetAllocatedBytesForCurrentThread() - before - (4L * body.Length));
        }

        Assert.Empty(unexpected);
        Assert.InRange(worstAllocation, long.MinValue, 6L * MaxSize);
    }

    [Fact]
    public async Task ReadRawAsync_TwoFramesThenEnd_EachPayloadUntilAdvancedThenEnd()
    {
        PipeReader reader = Completed([.. Frame("a"), .. Frame("b")]);
        var texts = new List<string>();

        RawMessage message;
        while (!(message = await MessageReader.ReadRawAsync(reader, MaxSize, null, CancellationToken.None)).IsEnd)
        {
            texts.Add(EchoRequest.Parser.ParseFrom(message.Payload).Text);
            reader.AdvanceTo(message.Consumed!.Value);
        }

        Assert.Equal(["a", "b"], texts);
    }

    [Fact]
    public async Task ReadRawAsync_GzipFrame_DecompressedAndAlreadyReleased()
    {
        PipeReader reader = Completed(RawGrpcClient.Frame(GzipCodec.Compress(new EchoRequest { Text = "z" }.ToByteArray()), flag: 1));

        RawMessage message = await MessageReader.ReadRawAsync(reader, MaxSize, "gzip", CancellationToken.None);

        Assert.Equal(("z", (SequencePosition?)null), (EchoRequest.Parser.ParseFrom(message.Payload).Text, message.Consumed));
        Assert.True((await MessageReader.ReadRawAsync(reader, MaxSize, "gzip", CancellationToken.None)).IsEnd);
    }

    [Fact]
    public async Task ReadRawAsync_GzipFrameOnIdentityStream_Internal()
    {
        PipeReader reader = Completed(RawGrpcClient.Frame(GzipCodec.Compress(new EchoRequest { Text = "z" }.ToByteArray()), flag: 1));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await MessageReader.ReadRawAsync(reader, MaxSize, null, CancellationToken.None));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadRawAsync_StreamEndsInsideFrame_Internal()
    {
        PipeReader reader = Completed(Frame("hello")[..^2]);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await MessageReader.ReadRawAsync(reader, MaxSize, null, CancellationToken.None));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    private static ValueTask<EchoRequest?> Read(PipeReader reader) =>
        MessageReader.ReadAsync(reader, EchoRequest.Parser, MaxSize, null, CancellationToken.None);

    private static byte[] Frame(string text) => RawGrpcClient.Frame(new EchoRequest { Text = text }.ToByteArray());

    private static PipeReader Completed(byte[] body)
    {
        // No back-pressure: the whole body is buffered before the reader starts.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        body.CopyTo(pipe.Writer.GetSpan(body.Length));
        pipe.Writer.Advance(body.Length);
        pipe.Writer.Complete();
        return pipe.Reader;
    }
}
