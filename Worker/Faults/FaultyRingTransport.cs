using DistributedTrainer.Training.Collective;

namespace DistributedTrainer.Worker.Faults;

/// <summary>
/// A ring link that misbehaves as <see cref="WorkerFaults"/> says on the sending side; receiving is untouched, so
/// the worker itself keeps running and answering while its next peer hears nothing (or hears late).
/// </summary>
internal sealed class FaultyRingTransport(IRingTransport inner, WorkerFaults faults) : IRingTransport
{
    public async ValueTask SendAsync(RingPieceHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (faults.RingDelay > TimeSpan.Zero)
        {
            await Task.Delay(faults.RingDelay, cancellationToken);
        }
        if (faults.DropRingFromStep is { } from && header.Step >= from)
        {
            return;
        }
        await inner.SendAsync(header, payload, cancellationToken);
    }

    public ValueTask ReceiveAsync(IRingPieceReader reader, CancellationToken cancellationToken) => inner.ReceiveAsync(reader, cancellationToken);

    public bool SendsByMemoryCopy => inner.SendsByMemoryCopy;
}
