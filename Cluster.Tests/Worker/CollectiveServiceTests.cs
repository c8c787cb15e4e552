using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using CollectiveRpc = DistributedTrainer.Protos.V1.Collective;

namespace DistributedTrainer.Tests.Worker;

/// <summary>The worker's Collective service as any gRPC client sees it: the generated client subscribes and reads ordinary RingChunks.</summary>
public sealed class CollectiveServiceTests : IAsyncLifetime
{
    private readonly CollectiveService _service = new();
    private LoopbackGrpcServer? _server;
    private GrpcChannel? _channel;

    private CollectiveRpc.CollectiveClient Client => new(_channel ?? throw new InvalidOperationException("not initialized"));

    public async Task InitializeAsync()
    {
        _server = await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(_service), app => app.MapGrpcService<CollectiveService>());
        _channel = GrpcChannels.Create(_server.Address);
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

    private static RingSubscription Subscription(string jobId = "j-1", int fromRank = 0, int toRank = 1) =>
        new() { JobId = jobId, FromRank = fromRank, ToRank = toRank };

    [Fact]
    public async Task Subscribe_PiecesTheSenderWrites_ArriveInOrderAsGeneratedRingChunksThenTheStreamEndsOk()
    {
        using var call = Client.Subscribe(Subscription(), Deadline());
        RingSubscriber subscriber = await _service.Subscriber("j-1", 1).WaitAsync(TimeSpan.FromSeconds(10));
        byte[] raw = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] packed = [4, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0];

        await subscriber.WriteAsync(new OutgoingRingChunk
        {
            JobId = "j-1",
            Header = new RingPieceHeader(7, CollectivePhase.AllGather, 2, 3, 5_000_000_000L, 0, PieceEncoding.Raw),
            Payload = raw,
        }, CancellationToken.None);
        await subscriber.WriteAsync(new OutgoingRingChunk
        {
            JobId = "j-1",
            Header = new RingPieceHeader(8, CollectivePhase.ReduceScatter, 0, 0, 0, 0, PieceEncoding.FixedPointBlocks),
            Payload = packed,
        }, CancellationToken.None);
        _service.RemoveSubscriber("j-1", 1);

        var chunks = new List<RingChunk>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            chunks.Add(call.ResponseStream.Current);
        }
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(2, chunks.Count);
        Assert.Equal(("j-1", 7L, RingPhase.AllGather, 2, 3, 5_000_000_000L, 0, RingEncoding.Raw),
            (chunks[0].JobId, chunks[0].Step, chunks[0].Phase, chunks[0].Round, chunks[0].ChunkIndex, chunks[0].Offset, chunks[0].FromRank, chunks[0].Encoding));
        Assert.Equal(raw, chunks[0].Payload.ToByteArray());
        Assert.Equal((8L, RingPhase.ReduceScatter, RingEncoding.FixedPointBlocks), (chunks[1].Step, chunks[1].Phase, chunks[1].Encoding));
        Assert.Equal(packed, chunks[1].Payload.ToByteArray());
    }

    [Theory]
    [InlineData("", 0, 1)]
    [InlineData("j-1", -1, 1)]
    [InlineData("j-1", 0, -2)]
    public async Task Subscribe_WithoutAJobOrWithANegativeRank_InvalidArgumentNamingTheFields(string jobId, int fromRank, int toRank)
    {
        using var call = Client.Subscribe(Subscription(jobId, fromRank, toRank), Deadline());

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal((StatusCode.InvalidArgument, $"Invalid subscription: job '{jobId}', from_rank {fromRank}, to_rank {toRank} (needs a job id and ranks >= 0)"),
            (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task Subscribe_SecondSubscriptionOfAJobAndReceiver_FailedPrecondition()
    {
        using var first = Client.Subscribe(Subscription(), Deadline());
        await _service.Subscriber("j-1", 1).WaitAsync(TimeSpan.FromSeconds(10));

        using var second = Client.Subscribe(Subscription(), Deadline());
        var error = await Assert.ThrowsAsync<RpcException>(() => second.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("rank 1 already receives job j-1's pieces", error.Status.Detail);
    }

    [Fact]
    public async Task Subscribe_ReceiverLeavesBeforeTheSenderCame_LeavesNoSubscriptionBehind()
    {
        using (var call = Client.Subscribe(Subscription(), Deadline()))
        {
            await _service.Subscriber("j-1", 1).WaitAsync(TimeSpan.FromSeconds(10));
        }

        // The handler saw the call end and took its entry out: a new subscription of the same receiver is a first one.
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (_service.Subscriber("j-1", 1).IsCompleted && DateTime.UtcNow < end)
        {
            await Task.Delay(20);
        }
        Assert.False(_service.Subscriber("j-1", 1).IsCompleted);
    }
}
