using System.Buffers;
using System.Threading.Channels;

namespace DistributedTrainer.Training.Collective;

/// <summary>
/// A ring of ranks in one process, linked by bounded channels: the transport for tests and single-process
/// simulation. Each send copies the payload into a pooled buffer that the receiver returns once its reader took
/// the piece.
/// </summary>
public sealed class InProcessRingTransport : IRingTransport
{
    private readonly Channel<RingPiece> _inbox;
    private InProcessRingTransport? _next;

    private InProcessRingTransport(int capacity)
    {
        _inbox = Channel.CreateBounded<RingPiece>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
    }

    /// <summary>Creates the links of a ring of <paramref name="size"/> ranks; element i is rank i's.</summary>
    /// <param name="size">Number of ranks, at least 1.</param>
    /// <param name="capacity">Pieces a rank may queue for its next rank before sends wait. Default 4.</param>
    public static IReadOnlyList<InProcessRingTransport> CreateRing(int size, int capacity = 4)
    {
        if (size < 1)
        {
            throw new ArgumentException($"Invalid size: {size} (must be >= 1)", nameof(size));
        }

        if (capacity < 1)
        {
            throw new ArgumentException($"Invalid capacity: {capacity} (must be >= 1)", nameof(capacity));
        }

        var ring = new InProcessRingTransport[size];
        for (int i = 0; i < size; i++)
        {
            ring[i] = new InProcessRingTransport(capacity);
        }

        for (int i = 0; i < size; i++)
        {
            ring[i]._next = ring[(i + 1) % size];
        }

        return ring;
    }

    public async ValueTask SendAsync(RingPieceHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.Span.CopyTo(rented);
        try
        {
            await _next!._inbox.Writer.WriteAsync(new RingPiece(header, rented, payload.Length), cancellationToken);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
    }

    /// <summary>False: the ring packs as it would for a link between machines, so that tests see the pieces it sends there.</summary>
    public bool SendsByMemoryCopy => false;

    public async ValueTask ReceiveAsync(IRingPieceReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using RingPiece piece = await _inbox.Reader.ReadAsync(cancellationToken);
        reader.Read(piece.Header, piece.Payload.Span);
    }
}
