using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Faults;
using Xunit;

namespace DistributedTrainer.Tests.Worker.Faults;

public sealed class FaultyRingTransportTests
{
    [Fact]
    public async Task SendAsync_FromTheDropStepOn_NothingArrives()
    {
        var ring = InProcessRingTransport.CreateRing(2);
        var faulty = new FaultyRingTransport(ring[0], WorkerFaults.None.With("drop-ring@5"));
        byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8];

        await faulty.SendAsync(new RingPieceHeader(4, CollectivePhase.AllGather, 0, 0, 0, 0), payload, CancellationToken.None);
        await faulty.SendAsync(new RingPieceHeader(5, CollectivePhase.AllGather, 0, 0, 0, 0), payload, CancellationToken.None);

        using (var piece = await ring[1].ReceiveAsync(CancellationToken.None))
        {
            Assert.Equal(4, piece.Header.Step);
        }
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ring[1].ReceiveAsync(quiet.Token).AsTask());
    }
}
