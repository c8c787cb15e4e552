using DistributedTrainer.Tests.Training.Collective;
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

        var reader = new RecordingPieceReader();
        await ring[1].ReceiveAsync(reader, CancellationToken.None);
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ring[1].ReceiveAsync(reader, quiet.Token).AsTask());
        Assert.Equal([4L], reader.Pieces.Select(piece => piece.Header.Step));
    }
}
