using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using CollectiveRpc = DistributedTrainer.Protos.V1.Collective;

namespace DistributedTrainer.Tests.Worker;

/// <summary>The worker's Collective service as any gRPC client sees it: the generated client sends ordinary RingChunks.</summary>
public sealed class CollectiveServiceTests : IAsyncLifetime
{
    private readonly CollectiveService _service = new();
    private LoopbackGrpcServer? _server;
    private GrpcChannel? _channel;

    private GrpcChannel Channel => _channel ?? throw new InvalidOperationException("not initialized");

    private CollectiveRpc.CollectiveClient Client => new(Channel);

    public async Task InitializeAsync()
    {
        _server = await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(_service), app => app.MapGrpcService<CollectiveService>());
        _channel = GrpcChannels.Create(_server.Address, new GrpcChannelSettings { MaxSendMessageSize = 8 * 1024 * 1024 });
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(10));

    [Fact]
    public async Task Exchange_WellFormedChunks_QueuedInOrderForTheJobAndSender()
    {
        using var call = Client.Exchange(Deadline());

        await call.RequestStream.WriteAsync(Chunk("j-1", fromRank: 2, chunkIndex: 0));
        await call.RequestStream.WriteAsync(Chunk("j-1", fromRank: 2, chunkIndex: 1));
        await call.RequestStream.CompleteAsync();
        RingExchangeSummary summary = await call.ResponseAsync;

        var inbox = _service.Inbox("j-1", 2);
        int[] indices = [(await inbox.ReadAsync()).Header.ChunkIndex, (await inbox.ReadAsync()).Header.ChunkIndex];
        Assert.Equal("2 chunks: 0, 1", $"{summary.Chunks} chunks: {string.Join(", ", indices)}");
    }

    [Fact]
    public async Task Exchange_GeneratedChunk_PieceHoldsEveryFieldAndThePayload()
    {
        using var call = Client.Exchange(Deadline());
        RingChunk chunk = Chunk("j-1", fromRank: 1, chunkIndex: 3);
        chunk.Phase = RingPhase.AllGather;
        chunk.Round = 2;
        chunk.Offset = 5_000_000_000;
        chunk.Payload = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, 8]);

        await call.RequestStream.WriteAsync(chunk);
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;

        using var piece = await _service.Inbox("j-1", 1).ReadAsync();
        Assert.Equal((1L, CollectivePhase.AllGather, 2, 3, 5_000_000_000L, 1),
            (piece.Header.Step, piece.Header.Phase, piece.Header.Round, piece.Header.ChunkIndex, piece.Header.Offset, piece.Header.FromRank));
        Assert.Equal(chunk.Payload.ToByteArray(), piece.Payload.ToArray());
    }

    [Fact]
    public async Task Exchange_PackedReduceScatterChunk_QueuedWithItsEncodingAndAnyPayloadLength()
    {
        using var call = Client.Exchange(Deadline());
        RingChunk chunk = Chunk("j-1", fromRank: 1, chunkIndex: 0);
        chunk.Encoding = RingEncoding.FixedPointBlocks;
        chunk.Payload = ByteString.CopyFrom([4, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0]);

        await call.RequestStream.WriteAsync(chunk);
        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;

        using var piece = await _service.Inbox("j-1", 1).ReadAsync();
        Assert.Equal((CollectivePhase.ReduceScatter, PieceEncoding.FixedPointBlocks), (piece.Header.Phase, piece.Header.Encoding));
        Assert.Equal(chunk.Payload.ToByteArray(), piece.Payload.ToArray());
    }

    [Theory]
    [InlineData("", 0, RingPhase.ReduceScatter, 8, "job_id is empty")]
    [InlineData("j-1", -1, RingPhase.ReduceScatter, 8, "from_rank -1 is negative")]
    [InlineData("j-1", 0, RingPhase.Unspecified, 8, "phase Unspecified is not REDUCE_SCATTER or ALL_GATHER")]
    [InlineData("j-1", 0, RingPhase.AllGather, 6, "payload of 6 bytes is not whole elements")]
    [InlineData("j-1", 0, RingPhase.AllGather, 1, "encoding FIXED_POINT_BLOCKS in phase AllGather (reduce-scatter only)", RingEncoding.FixedPointBlocks)]
    [InlineData("j-1", 0, RingPhase.ReduceScatter, 8, "encoding 2 is not RAW or FIXED_POINT_BLOCKS", (RingEncoding)2)]
    public async Task Exchange_MalformedChunk_InvalidArgumentWithTheReason(string jobId, int fromRank, RingPhase phase, int payloadBytes, string reason,
        RingEncoding encoding = RingEncoding.Raw)
    {
        RingChunk chunk = Chunk(jobId, fromRank, 0);
        chunk.Phase = phase;
        chunk.Payload = ByteString.CopyFrom(new byte[payloadBytes]);
        chunk.Encoding = encoding;

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => ExchangeAsync(chunk));

        Assert.Equal((StatusCode.InvalidArgument, $"Invalid ring chunk 0: {reason}"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task Exchange_SecondSenderOnOneStream_InvalidArgument()
    {
        RpcException error = await Assert.ThrowsAsync<RpcException>(() =>
            ExchangeAsync(Chunk("j-1", fromRank: 0, chunkIndex: 0), Chunk("j-1", fromRank: 1, chunkIndex: 0)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Exchange_BytesThatAreNotARingChunk_InternalNamingTheChunk()
    {
        // Field 7 (payload) claims 100 bytes but the message ends after 2.
        RpcException error = await Assert.ThrowsAsync<RpcException>(() =>
            RawGrpcMethods.ClientStreamingAsync(Channel, "trainer.v1.Collective", "Exchange", [0x3A, 100, 1, 2]));

        Assert.Equal((StatusCode.Internal, "Failed to parse RingChunk 0: payload at byte 0 runs past the end"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task Exchange_ChunkOverTheServerLimit_ResourceExhausted()
    {
        RingChunk chunk = Chunk("j-1", fromRank: 0, chunkIndex: 0);
        chunk.Payload = ByteString.CopyFrom(new byte[4 * 1024 * 1024]);

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => ExchangeAsync(chunk));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    /// <summary>Sends <paramref name="chunks"/> on one stream; the summary, or the server's status as an RpcException.</summary>
    private async Task<RingExchangeSummary> ExchangeAsync(params RingChunk[] chunks)
    {
        using var call = Client.Exchange(Deadline());
        try
        {
            foreach (RingChunk chunk in chunks)
            {
                await call.RequestStream.WriteAsync(chunk);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call before taking every chunk (the write fails with CANCELLED): its status comes with the answer.
        }
        return await call.ResponseAsync;
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
