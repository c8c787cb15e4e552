using System.Buffers;

namespace DistributedTrainer.Training.Collective;

/// <summary>
/// A piece queued in an <see cref="InProcessRingTransport"/>: its header and its payload, in a buffer rented from
/// <see cref="ArrayPool{T}.Shared"/> that goes back to the pool when the piece is disposed.
/// </summary>
internal readonly struct RingPiece : IDisposable
{
    private readonly byte[] _rented;

    /// <summary>A piece whose payload lies at the start of <paramref name="rented"/>, an array from <see cref="ArrayPool{T}.Shared"/>.</summary>
    public RingPiece(RingPieceHeader header, byte[] rented, int length)
    {
        ArgumentNullException.ThrowIfNull(rented);
        Header = header;
        Payload = rented.AsMemory(0, length);
        _rented = rented;
    }

    public RingPieceHeader Header { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_rented);
    }
}
