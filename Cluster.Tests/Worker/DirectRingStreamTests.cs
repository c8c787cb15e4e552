using System.Diagnostics;
using DistributedTrainer.Tests.Training.Collective;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Transport.Internal;
using DistributedTrainer.Worker.Collective;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// The ring's subscriptions served by <see cref="DirectRingStream"/> (workers' lean clients) rather than Kestrel: the
/// servers below map no Collective service on Kestrel unless said, so only the direct path can serve a subscription.
/// </summary>
public sealed class DirectRingStreamTests
{
    [Theory]
    [InlineData(2, 100_003)]
    [InlineData(3, 250_001)]
    [InlineData(4, 7)]
    public async Task AllReduceAsync_OnlyTheDirectPathServes_EveryRankHoldsThePlainSum(int size, int length)
    {
        long[][] vectors = RingHarness.RandomVectors(size, length, seed: size);
        long[] expected = RingHarness.PlainSum(vectors, length);
        await using GrpcRing ring = await GrpcRing.StartAsync(size, kestrelService: false);

        await Task.WhenAll(ring.Ranks(new RingOptions { MaxPieceBytes = 64 * 1024 }).Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Fact]
    public async Task AllReduceAsync_MoreInFlightThanTheClientsWindow_EveryRankHoldsThePlainSum()
    {
        // 40 MB in pieces of 3,000,000 bytes, which do not divide the lean client's 16 MiB window: pieces wait for its
        // updates, and some leave in two frames, one as large as what was left of the window.
        const int Length = 5_000_000;
        long[][] vectors = RingHarness.RandomVectors(2, Length, seed: 3);
        long[] expected = RingHarness.PlainSum(vectors, Length);
        await using GrpcRing ring = await GrpcRing.StartAsync(2, kestrelService: false);

        await Task.WhenAll(ring.Ranks(new RingOptions { MaxPieceBytes = 3_000_000 }).Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Fact]
    public async Task AllReduceAsync_ClientsWithoutTheSoleRequestHeader_GoToKestrel()
    {
        // SocketsHttpHandler's subscriptions share their connections with other calls, so they are Kestrel's: with no
        // Collective service there, the ring fails (UNIMPLEMENTED) instead of being served directly.
        await using GrpcRing ring = await GrpcRing.StartAsync(2, largeResponseStreams: false, kestrelService: false);
        RingAllReduce[] ranks = ring.Ranks(new RingOptions { PieceTimeout = TimeSpan.FromSeconds(5) });

        Task[] calls = [.. ranks.Select((r, i) => r.AllReduceAsync(new long[1000], step: 1))];

        await Assert.ThrowsAsync<RingException>(() => Task.WhenAll(calls));
        var causes = calls.Where(call => call.IsFaulted).SelectMany(call => Causes(call.Exception!.InnerException!));
        Assert.Contains(causes, cause => cause is RpcException { StatusCode: StatusCode.Unimplemented });
    }

    [Theory]
    [InlineData(null, StatusCode.Unauthenticated)]
    [InlineData("wrong", StatusCode.Unauthenticated)]
    public async Task ReceiveAsync_SubscriptionWithoutTheServersToken_Unauthenticated(string? presented, StatusCode expected)
    {
        await using GrpcRing ring = await GrpcRing.StartAsync(2, kestrelService: false, token: "ring-secret", subscriberToken: presented);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await ring.Transports[1].ReceiveAsync(new RecordingPieceReader(), CancellationToken.None));

        Assert.Equal(expected, error.StatusCode);
        Assert.DoesNotContain("ring-secret", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllReduceAsync_SubscriptionWithTheServersToken_EveryRankHoldsThePlainSum()
    {
        long[][] vectors = RingHarness.RandomVectors(3, 10_007, seed: 5);
        long[] expected = RingHarness.PlainSum(vectors, 10_007);
        await using GrpcRing ring = await GrpcRing.StartAsync(3, kestrelService: false, token: "ring-secret", subscriberToken: "ring-secret");

        await Task.WhenAll(ring.Ranks().Select((r, i) => r.AllReduceAsync(vectors[i], step: 1)));

        Assert.All(vectors, vector => Assert.Equal(expected, vector));
    }

    [Fact]
    public async Task SendAsync_ReceiverNeverReads_WaitsForTheWindowThenStopsWhenCancelled()
    {
        await using GrpcRing ring = await GrpcRing.StartAsync(2, kestrelService: false);
        // Rank 1 subscribed (its transport opened the call) but never receives: the client returns no window.
        byte[] piece = new byte[1024 * 1024];
        var header = new RingPieceHeader(1, CollectivePhase.AllGather, 0, 0, 0, 0);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        int sent = 0;
        var stopwatch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            for (; sent < 1000; sent++)
            {
                await ring.Transports[0].SendAsync(header, piece, deadline.Token);
            }
        });

        // The sockets' buffers and then the client's 16 MiB window hold back what the client does not read.
        Assert.InRange(sent, 1, 16);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        await Assert.ThrowsAnyAsync<IOException>(async () => await ring.Transports[0].SendAsync(header, piece, CancellationToken.None));
    }

    [Fact]
    public async Task SendAsync_ReceiverLeft_FailsNamingIt()
    {
        await using GrpcRing ring = await GrpcRing.StartAsync(2, kestrelService: false);
        var header = new RingPieceHeader(1, CollectivePhase.AllGather, 0, 0, 0, 0);
        await ring.Transports[0].SendAsync(header, new byte[8], CancellationToken.None);
        await ring.Transports[1].ReceiveAsync(new RecordingPieceReader(), CancellationToken.None);

        await ring.Transports[1].DisposeAsync();

        IOException error = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                await ring.Transports[0].SendAsync(header, new byte[8], deadline.Token);
                await Task.Delay(10, deadline.Token);
            }
        });
        Assert.Contains("rank 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReceiveAsync_SendersServerStops_UnavailableOnEitherPath(bool direct)
    {
        // Only the path under test can serve: the direct stream, or Kestrel's Collective service.
        await using GrpcRing ring = await GrpcRing.StartAsync(2, direct: direct, kestrelService: !direct);
        var header = new RingPieceHeader(1, CollectivePhase.AllGather, 0, 0, 0, 0);
        await ring.Transports[0].SendAsync(header, new byte[8], CancellationToken.None);
        await ring.Transports[1].ReceiveAsync(new RecordingPieceReader(), CancellationToken.None);

        // Rank 0's server serves rank 1's subscription; its sender never closes it. Rank 1 waits for a piece, as a ring
        // between steps does: its client reads the server's GOAWAY and the call's end, and closes the connection, which
        // the server waits for.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Task<RpcException> receiving = Assert.ThrowsAsync<RpcException>(async () =>
            await ring.Transports[1].ReceiveAsync(new RecordingPieceReader(), deadline.Token));
        var stopping = Stopwatch.StartNew();
        await ring.Servers[0].StopAsync();

        RpcException error = await receiving;
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {stopping.Elapsed}");
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(ServerStoppingInterceptor.Stopped.Detail, error.Status.Detail);
    }

    private static IEnumerable<Exception> Causes(Exception error)
    {
        for (Exception? cause = error; cause is not null; cause = cause.InnerException)
        {
            yield return cause;
        }
    }
}
