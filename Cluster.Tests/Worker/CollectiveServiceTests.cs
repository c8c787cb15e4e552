using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc;
using DistributedTrainer.Worker.Collective;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

public sealed class CollectiveServiceTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly CollectiveService _service = new();
    private GrpcHost? _host;
    private RpcChannel? _channel;

    private RpcChannel Channel => _channel ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        _host = await GrpcHost.StartAsync(new GrpcRouter().AddService(_service.Definition));
        _channel = new RpcChannel(_host.Address);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Exchange_WellFormedChunks_QueuedInOrderForTheJobAndSender()
    {
        using var call = Channel.ClientStreaming(CollectiveMethods.Exchange, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));

        await call.RequestStream.WriteAsync(Chunk("j-1", fromRank: 2, chunkIndex: 0));
        await call.RequestStream.WriteAsync(Chunk("j-1", fromRank: 2, chunkIndex: 1));
        await call.RequestStream.CompleteAsync();
        RingExchangeSummary summary = await call.ResponseAsync;

        var inbox = _service.Inbox("j-1", 2);
        int[] indices = [(await inbox.ReadAsync()).Header.ChunkIndex, (await inbox.ReadAsync()).Header.ChunkIndex];
        Assert.Equal("2 chunks: 0, 1", $"{summary.Chunks} chunks: {string.Join(", ", indices)}");
    }

    [Theory]
    [InlineData("", 0, RingPhase.ReduceScatter, 8, "job_id is empty")]
    [InlineData("j-1", -1, RingPhase.ReduceScatter, 8, "from_rank -1 is negative")]
    [InlineData("j-1", 0, RingPhase.Unspecified, 8, "phase Unspecified is not REDUCE_SCATTER or ALL_GATHER")]
    [InlineData("j-1", 0, RingPhase.AllGather, 6, "payload of 6 bytes is not whole elements")]
    public async Task Exchange_MalformedChunk_InvalidArgumentWithTheReason(string jobId, int fromRank, RingPhase phase, int payloadBytes, string reason)
    {
        using var call = Channel.ClientStreaming(CollectiveMethods.Exchange, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        RingChunk chunk = Chunk(jobId, fromRank, 0);
        chunk.Phase = phase;
        chunk.Payload = ByteString.CopyFrom(new byte[payloadBytes]);

        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(chunk);
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });

        Assert.Equal((StatusCode.InvalidArgument, $"Invalid ring chunk 0: {reason}"), (error.StatusCode, error.Detail));
    }

    [Fact]
    public async Task Exchange_SecondSenderOnOneStream_InvalidArgument()
    {
        using var call = Channel.ClientStreaming(CollectiveMethods.Exchange, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));

        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(Chunk("j-1", fromRank: 0, chunkIndex: 0));
            await call.RequestStream.WriteAsync(Chunk("j-1", fromRank: 1, chunkIndex: 0));
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Exchange_BytesThatAreNotARingChunk_InternalNamingTheChunk()
    {
        using var raw = new RawGrpcClient(_host!.Address);

        // Field 7 (payload) claims 100 bytes but the message ends after 2.
        RawGrpcClient.RawResponse response = await raw.PostAsync("/trainer.v1.Collective/Exchange", RawGrpcClient.Frame([0x3A, 100, 1, 2]));

        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
    }

    [Fact]
    public async Task Exchange_ChunkOverTheServerLimit_ResourceExhausted()
    {
        using var call = Channel.ClientStreaming(CollectiveMethods.Exchange, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        RingChunk chunk = Chunk("j-1", fromRank: 0, chunkIndex: 0);
        chunk.Payload = ByteString.CopyFrom(new byte[4 * 1024 * 1024]);

        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(chunk);
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    private static RingChunk Chunk(string jobId, int fromRank, int chunkIndex) => new()
    {
        JobId = jobId,
        Step = 1,
        Phase = RingPhase.ReduceScatter,
        ChunkIndex = chunkIndex,
        FromRank = fromRank,
        Payload = ByteString.CopyFrom(new byte[16]),
    };
}
