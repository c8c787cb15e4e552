using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace DistributedTrainer.Training.Collective;

/// <summary>
/// Ring all-reduce over an <see cref="IRingTransport"/>: reduce-scatter (rank i ends with the exact sum of
/// segment i over all ranks) and all-gather (every rank ends with every rank's own segment), as split by
/// <see cref="RingSegments.Range"/>. Each rank sends and receives about (size - 1) / size of the vector per
/// phase, whatever the number of ranks.
/// </summary>
/// <remarks>
/// <para>Reduce-scatter round r: rank i sends segment (i - r - 1) mod size to rank i + 1 and adds the segment
/// (i - r - 2) mod size it receives from rank i - 1. All-gather round r: rank i sends segment (i - r) mod size
/// and copies the segment (i - r - 1) mod size it receives. A segment travels as pieces of at most
/// <see cref="RingOptions.MaxPieceBytes"/>; piece k of a round leaves as soon as piece k of the previous round
/// has arrived, so the rounds overlap rather than wait for each other.</para>
/// <para>Reduce-scatter sums 64-bit fixed-point values (<see cref="FixedPointAccumulator.Values"/>): integer
/// addition is associative, so every ring size and order gives the identical sum. Its pieces travel packed
/// (<see cref="FixedPointBlocks"/>: each block of values as wide as it needs) unless packing saves too little, and a
/// receiver adds raw pieces as well. One instance per rank and ring layout; calls on one instance must not overlap. A
/// packed piece is packed into a pooled buffer one piece long; a raw piece goes to the transport straight from the
/// vector, which the ring does not write while the piece is being sent (it writes the segment received, not the one
/// sent).</para>
/// </remarks>
public sealed class RingAllReduce
{
    private readonly IRingTransport _transport;
    private readonly RingOptions _options;

    /// <param name="transport">This rank's link: to rank + 1 and from rank - 1 (mod size).</param>
    /// <param name="rank">This rank, in [0, size).</param>
    /// <param name="size">Number of ranks in the ring, at least 1. With 1 the calls return at once.</param>
    /// <param name="options">Deadlines and piece size; defaults when null.</param>
    public RingAllReduce(IRingTransport transport, int rank, int size, RingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (size < 1)
        {
            throw new ArgumentException($"Invalid size: {size} (must be >= 1)", nameof(size));
        }

        if (rank < 0 || rank >= size)
        {
            throw new ArgumentException($"Invalid rank: {rank} (must be in [0, {size}))", nameof(rank));
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The ring sends raw little-endian elements; this machine is big-endian");
        }

        _options = options ?? new RingOptions();
        _options.Validate();
        _transport = transport;
        Rank = rank;
        Size = size;
    }

    public int Rank { get; }

    public int Size { get; }

    private int Next => (Rank + 1) % Size;

    private int Previous => (Rank + Size - 1) % Size;

    /// <summary>
    /// Sums <paramref name="vector"/> over all ranks, segment by segment: afterwards segment <see cref="Rank"/>
    /// holds the sum of every rank's segment <see cref="Rank"/>; the other segments hold partial sums.
    /// </summary>
    /// <param name="vector">This rank's fixed-point values; the same length on every rank.</param>
    /// <param name="step">Training step, checked on every received piece.</param>
    /// <returns>The payload bytes this rank sent: fewer than 8 per element sent in packed pieces, 8 in raw ones.</returns>
    /// <exception cref="RingException">A peer missed a deadline, sent a piece that does not fit, or its link failed.</exception>
    public Task<long> ReduceScatterAsync(Memory<long> vector, long step, CancellationToken cancellationToken = default) =>
        RunAsync(CollectivePhase.ReduceScatter, vector, step, cancellationToken);

    /// <summary>
    /// Copies each rank's segment to every rank: afterwards every rank's <paramref name="vector"/> holds rank j's
    /// segment j for every j. Works for any element type: fixed-point sums or float parameters.
    /// </summary>
    /// <exception cref="RingException">A peer missed a deadline, sent a piece that does not fit, or its link failed.</exception>
    public Task AllGatherAsync<T>(Memory<T> vector, long step, CancellationToken cancellationToken = default)
        where T : unmanaged =>
        RunAsync(CollectivePhase.AllGather, vector, step, cancellationToken);

    /// <summary>Reduce-scatter then all-gather: every rank ends with the exact sum of all ranks' vectors.</summary>
    /// <exception cref="RingException">A peer missed a deadline, sent a piece that does not fit, or its link failed.</exception>
    public async Task AllReduceAsync(Memory<long> vector, long step, CancellationToken cancellationToken = default)
    {
        await ReduceScatterAsync(vector, step, cancellationToken);
        await AllGatherAsync(vector, step, cancellationToken);
    }

    /// <returns>The payload bytes this rank sent.</returns>
    private async Task<long> RunAsync<T>(CollectivePhase phase, Memory<T> vector, long step, CancellationToken cancellationToken)
        where T : unmanaged
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Size == 1 || vector.IsEmpty)
        {
            return 0;
        }

        // A failure on either side cancels the other, so a broken link surfaces at once, not at the next deadline.
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var arrived = new SemaphoreSlim(0);
        Task<long> sending = SendAllAsync(phase, vector, step, arrived, call);
        Task receiving = ReceiveAllAsync(phase, vector, step, arrived, call);
        try
        {
            await Task.WhenAll(sending, receiving);
            return sending.Result;
        }
        catch when (!cancellationToken.IsCancellationRequested)
        {
            // Report the failure that came first: the other side only saw the resulting cancellation.
            Exception? cause = FirstRingFailure(receiving) ?? FirstRingFailure(sending);
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    private static Exception? FirstRingFailure(Task task) =>
        task.Exception?.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException);

    // A segment of at least this many pieces' worth travels as that many pieces (see PieceLength).
    private const int MinPiecesPerSegment = 4;

    // Pieces are not cut smaller than this: below it a piece costs more in messages than it gains in overlap.
    private const int MinPieceBytes = 256 * 1024;

    // A piece travels packed only if packing saves at least 1 / PackingSavingDenominator of its raw bytes: less does not
    // pay for the packing pass and the receiver's unpacking (see Payload).
    private const int PackingSavingDenominator = 16;

    /// <summary>
    /// Elements per piece of a vector of <paramref name="length"/>: at most <see cref="RingOptions.MaxPieceBytes"/>,
    /// and few enough that a segment travels as <see cref="MinPiecesPerSegment"/> pieces (whole blocks of
    /// <see cref="FixedPointBlocks.BlockLength"/>, never under <see cref="MinPieceBytes"/>), so that the receiver
    /// adds or copies one piece while the next is on its way; a segment in one piece waits for all of it. It depends
    /// on the length and the ring's size only, so every rank cuts the same pieces.
    /// </summary>
    private int PieceLength<T>(int length)
        where T : unmanaged
    {
        int elementBytes = Unsafe.SizeOf<T>();
        int largest = _options.MaxPieceBytes / elementBytes;
        int segment = (int)(((long)length + Size - 1) / Size);
        int split = (segment + MinPiecesPerSegment - 1) / MinPiecesPerSegment;
        split = (split + FixedPointBlocks.BlockLength - 1) / FixedPointBlocks.BlockLength * FixedPointBlocks.BlockLength;
        return Math.Clamp(split, Math.Min(largest, MinPieceBytes / elementBytes), largest);
    }

    private async Task<long> SendAllAsync<T>(CollectivePhase phase, Memory<T> vector, long step, SemaphoreSlim arrived, CancellationTokenSource call)
        where T : unmanaged
    {
        int perPiece = PieceLength<T>(vector.Length);
        // The reduce-scatter packs its pieces while packing pays (see Payload), which it does not where a piece crosses as a
        // memory copy; the all-gather sends them raw.
        bool packing = phase == CollectivePhase.ReduceScatter && !_transport.SendsByMemoryCopy;
        // Packed pieces are packed into a pooled buffer; raw ones go to the transport straight from the vector.
        byte[] buffer = packing ? ArrayPool<byte>.Shared.Rent(FixedPointBlocks.MaxPackedBytes(perPiece)) : [];
        Memory<byte> raw = new BytesOfMemory<T>(vector).Memory;
        using var timer = new PieceTimer(_options.PieceTimeout, call.Token);
        int round = 0;
        int chunk = 0;
        long sent = 0;
        try
        {
            for (round = 0; round < Size - 1; round++)
            {
                (int offset, int length) = RingSegments.Range(vector.Length, Size, SentSegment(phase, round));
                for (chunk = 0; chunk * perPiece < length; chunk++)
                {
                    if (round > 0)
                    {
                        // The piece this round forwards is the one received in the same place last round.
                        await arrived.WaitAsync(call.Token);
                    }

                    int start = offset + chunk * perPiece;
                    int count = Math.Min(perPiece, offset + length - start);
                    (ReadOnlyMemory<byte> payload, PieceEncoding encoding) = Payload(ref packing, vector, start, count, raw, buffer);
                    var header = new RingPieceHeader(step, phase, round, chunk, start, Rank, encoding);
                    CancellationToken token = timer.Start();
                    try
                    {
                        await _transport.SendAsync(header, payload, token);
                    }
                    catch (OperationCanceledException e) when (timer.Expired)
                    {
                        throw Failure($"rank {Rank} could not send chunk {chunk} of {Name(phase)} round {round} of step {step} to rank {Next} within {Seconds(_options.PieceTimeout)}",
                            Next, phase, round, chunk, new TimeoutException(e.Message, e));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        throw Failure($"rank {Rank} failed to send chunk {chunk} of {Name(phase)} round {round} of step {step} to rank {Next}: {e.Message}",
                            Next, phase, round, chunk, e);
                    }

                    timer.Stop();
                    sent += payload.Length;
                }
            }

            return sent;
        }
        catch
        {
            await call.CancelAsync();
            throw;
        }
        finally
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// The piece of <paramref name="count"/> elements at <paramref name="start"/> as it is sent: packed into
    /// <paramref name="buffer"/> while <paramref name="packing"/>, otherwise raw, straight from the vector. Packing costs a
    /// pass over the piece and the receiver's unpacking; a piece it shrinks by less than a sixteenth
    /// (<see cref="PackingSavingDenominator"/>) goes raw, and so do the call's later pieces, without that pass: a call's
    /// sums are alike in width (a training step's pack to about half), and partial sums grow as the rounds add ranks'
    /// values.
    /// </summary>
    private static (ReadOnlyMemory<byte> Payload, PieceEncoding Encoding) Payload<T>(ref bool packing, Memory<T> vector, int start, int count,
        Memory<byte> raw, byte[] buffer)
        where T : unmanaged
    {
        Memory<byte> rawPiece = raw.Slice(start * Unsafe.SizeOf<T>(), count * Unsafe.SizeOf<T>());
        if (packing)
        {
            int packed = FixedPointBlocks.Pack(MemoryMarshal.Cast<T, long>(vector.Span.Slice(start, count)), buffer);
            if (packed <= rawPiece.Length - rawPiece.Length / PackingSavingDenominator)
            {
                return (buffer.AsMemory(0, packed), PieceEncoding.FixedPointBlocks);
            }

            packing = false;
        }

        return (rawPiece, PieceEncoding.Raw);
    }

    private async Task ReceiveAllAsync<T>(CollectivePhase phase, Memory<T> vector, long step, SemaphoreSlim arrived, CancellationTokenSource call)
        where T : unmanaged
    {
        int perPiece = PieceLength<T>(vector.Length);
        var applier = new PieceApplier<T>(phase, vector);
        using var timer = new PieceTimer(_options.PieceTimeout, call.Token);
        try
        {
            for (int round = 0; round < Size - 1; round++)
            {
                (int offset, int length) = RingSegments.Range(vector.Length, Size, ReceivedSegment(phase, round));
                for (int chunk = 0; chunk * perPiece < length; chunk++)
                {
                    int start = offset + chunk * perPiece;
                    applier.Expect(new RingPieceHeader(step, phase, round, chunk, start, Previous), Math.Min(perPiece, offset + length - start));
                    CancellationToken token = timer.Start();
                    try
                    {
                        await _transport.ReceiveAsync(applier, token);
                    }
                    catch (OperationCanceledException e) when (timer.Expired)
                    {
                        throw Failure($"rank {Rank} received no chunk {chunk} of {Name(phase)} round {round} of step {step} from rank {Previous} within {Seconds(_options.PieceTimeout)}",
                            Previous, phase, round, chunk, new TimeoutException(e.Message, e));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        throw Failure($"rank {Rank} failed to receive chunk {chunk} of {Name(phase)} round {round} of step {step} from rank {Previous}: {e.Message}",
                            Previous, phase, round, chunk, e);
                    }

                    timer.Stop();
                    if (applier.Problem is { } problem)
                    {
                        throw Failure($"rank {Rank} {problem}", Previous, phase, round, chunk);
                    }

                    arrived.Release();
                }
            }
        }
        catch
        {
            await call.CancelAsync();
            throw;
        }
    }

    private int SentSegment(CollectivePhase phase, int round) =>
        Mod(phase == CollectivePhase.ReduceScatter ? Rank - round - 1 : Rank - round);

    private int ReceivedSegment(CollectivePhase phase, int round) =>
        Mod(phase == CollectivePhase.ReduceScatter ? Rank - round - 2 : Rank - round - 1);

    private int Mod(int segment) => ((segment % Size) + Size) % Size;

    /// <summary>
    /// A call's <see cref="IRingPieceReader"/>: checks each received piece against the one expected next and adds or
    /// copies it into the vector, straight from the transport's bytes. A piece that does not fit leaves its reason in
    /// <see cref="Problem"/>, for the ring to fail the call with.
    /// </summary>
    private sealed class PieceApplier<T>(CollectivePhase phase, Memory<T> vector) : IRingPieceReader
        where T : unmanaged
    {
        private RingPieceHeader _expected;
        private int _count;
        private bool _handedOver;
        private string? _mismatch;

        /// <summary>Null once the expected piece was applied; otherwise what was wrong, or that none came.</summary>
        public string? Problem => _handedOver
            ? _mismatch
            : $"expected {Describe(_expected, $"{_count} elements")} but the transport handed over no piece";

        /// <summary>Sets the next piece expected: <paramref name="header"/> (raw) and its element count.</summary>
        public void Expect(RingPieceHeader header, int count)
        {
            _expected = header;
            _count = count;
            _handedOver = false;
            _mismatch = null;
        }

        public void Read(RingPieceHeader header, ReadOnlySpan<byte> payload)
        {
            // A reduce-scatter piece may come packed or raw; an all-gather piece is raw.
            PieceEncoding encoding = phase == CollectivePhase.ReduceScatter && header.Encoding == PieceEncoding.FixedPointBlocks
                ? PieceEncoding.FixedPointBlocks
                : PieceEncoding.Raw;
            RingPieceHeader expected = _expected with { Encoding = encoding };
            int bytes = _count * Unsafe.SizeOf<T>();
            _handedOver = true;
            if (header == expected && (encoding == PieceEncoding.FixedPointBlocks || payload.Length == bytes)
                && Apply(encoding, vector.Span.Slice((int)expected.Offset, _count), payload))
            {
                return;
            }

            string size = encoding == PieceEncoding.Raw ? $"{bytes} bytes" : $"{_count} elements";
            _mismatch = $"expected {Describe(expected, size)} but received {Describe(header, $"{payload.Length} bytes")}";
        }

        /// <summary>Copies or adds the piece's elements; false when a packed payload is not a packing of the piece's elements.</summary>
        private bool Apply(PieceEncoding encoding, Span<T> destination, ReadOnlySpan<byte> payload)
        {
            if (phase == CollectivePhase.AllGather)
            {
                payload.CopyTo(MemoryMarshal.AsBytes(destination));
                return true;
            }

            // Reduce-scatter runs on long only (see ReduceScatterAsync); the payload may be unaligned, which x64 and Arm64 loads allow.
            Span<long> sums = MemoryMarshal.Cast<T, long>(destination);
            if (encoding == PieceEncoding.FixedPointBlocks)
            {
                return FixedPointBlocks.TryAdd(payload, sums);
            }

            TensorPrimitives.Add(sums, MemoryMarshal.Cast<byte, long>(payload), sums);
            return true;
        }
    }

    private RingException Failure(string message, int peer, CollectivePhase phase, int round, int chunk, Exception? inner = null) =>
        new(message, Rank, peer, phase, round, chunk, inner);

    private static string Describe(RingPieceHeader header, string size) =>
        $"chunk {header.ChunkIndex} of {Name(header.Phase)} round {header.Round} of step {header.Step} from rank {header.FromRank} (offset {header.Offset}, {size}{Encoding(header.Encoding)})";

    private static string Encoding(PieceEncoding encoding) => encoding switch
    {
        PieceEncoding.Raw => "",
        PieceEncoding.FixedPointBlocks => ", fixed-point blocks",
        _ => $", encoding {(int)encoding}",
    };

    private static string Name(CollectivePhase phase) => phase switch
    {
        CollectivePhase.ReduceScatter => "reduce-scatter",
        CollectivePhase.AllGather => "all-gather",
        _ => phase.ToString(),
    };

    private static string Seconds(TimeSpan timeout) => $"{timeout.TotalSeconds:0.###} s";
}
