using System.Buffers;

namespace DistributedTrainer.Training.Collective;

/// <summary>
/// A received piece: its header and its payload (raw little-endian elements). Dispose it once the payload was
/// used; a payload rented from <see cref="ArrayPool{T}.Shared"/> then goes back to the pool.
/// </summary>
public readonly struct RingPiece : IDisposable
{
    private readonly byte[]? _rented;

    /// <summary>A piece whose payload the transport does not pool (e.g. one parsed from a gRPC message).</summary>
    public RingPiece(RingPieceHeader header, ReadOnlyMemory<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

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
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}
