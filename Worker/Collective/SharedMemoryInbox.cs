using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text;
using DistributedTrainer.Training.Collective;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A ring link's pieces through shared memory, for two ranks on one machine: a file in a tmpfs directory both know
/// (<c>--ring-shared-memory DIR</c>), mapped by both, holding a queue of pieces that the sending rank writes and the
/// receiving rank reads in place. A piece crosses with one copy (into the queue) and no system call while neither side
/// waits; over loopback TCP it costs two copies and the kernel's TCP path (docs/BENCHMARKS.md).
/// </summary>
/// <remarks>
/// <para>The receiving rank creates the file (<see cref="TryCreate"/>) under a name derived from the ring id, its rank and
/// a random offer, and sends the offer in its subscription. The sending rank opens it only from its own directory, under
/// the name it derives itself (<see cref="TryOpen"/>), and only if the file holds that offer: ranks on different machines,
/// or with different directories, find no such file and keep the gRPC stream. The sender removes the name once it has the
/// file mapped, so a crash leaves nothing behind after that; an offer whose creator died before it was taken up is
/// removed by the next inbox created in the directory.</para>
/// <para>The queue is a byte ring of <see cref="Capacity"/> bytes: a record is a 64-byte head (the piece's header and its
/// payload length) and the payload, padded to 64 bytes; a record that would cross the ring's end is written at its start,
/// behind a wrap mark. The writer owns <c>head</c>, the reader <c>tail</c> (running byte counts). Each side sleeps on a
/// futex when it has to wait (<see cref="FutexWaiter"/>). What the reader reads is checked before use: lengths within the
/// ring, known phases and encodings.</para>
/// </remarks>
internal sealed unsafe class SharedMemoryInbox : IDisposable
{
    /// <summary>Bytes of the queue: two of the largest pieces a ring sends (<see cref="RingOptions.MaxPieceBytesLimit"/>) fit.</summary>
    public const long Capacity = 8L * 1024 * 1024;

    private const ulong Magic = 0x3178_6f62_6e69_7464; // "dtinbox1", little-endian
    private const int RecordHeadBytes = 64;
    private const int WrapMark = -1;

    // The file's first page: identity, then each shared word on a cache line of its own; the queue follows it.
    private const int MagicOffset = 0;
    private const int OfferOffset = 8;
    private const int CapacityOffset = 16;
    private const int CreatorOffset = 24;
    private const int HeadOffset = 64;
    private const int DataSequenceOffset = 72;
    private const int TailOffset = 128;
    private const int SpaceSequenceOffset = 136;
    private const int ReceiverWaitingOffset = 192;
    private const int SenderWaitingOffset = 256;
    private const int QueueOffset = 4096;
    private const long FileBytes = QueueOffset + Capacity;

    private readonly string _path;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly FutexWaiter _waiter;
    private int _users;
    private int _disposed;
    private volatile string? _linkProblem;
    // The record bytes the write waiting for room needs.
    private long _roomNeeded;

    private SharedMemoryInbox(string path, MemoryMappedFile file, bool receiving)
    {
        (_path, _file) = (path, file);
        _view = file.CreateViewAccessor(0, FileBytes);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
        _waiter = receiving
            ? new FutexWaiter("ring inbox receiver", Word(DataSequenceOffset), Word(ReceiverWaitingOffset), HasPiece, () => _linkProblem)
            : new FutexWaiter("ring inbox sender", Word(SpaceSequenceOffset), Word(SenderWaitingOffset), HasRoom, () => _linkProblem);
    }

    /// <summary>
    /// The receiving rank's inbox for ring <paramref name="ringId"/>, created in <paramref name="directory"/> with a fresh
    /// <paramref name="offer"/>; null (offer 0: the link stays on its stream) when this machine has no futexes or the file
    /// cannot be created, for instance on a full tmpfs, whose pages are reserved here so that a write into the mapping never
    /// finds none.
    /// </summary>
    public static SharedMemoryInbox? TryCreate(string directory, string ringId, int toRank, out ulong offer)
    {
        offer = 0;
        if (!Futex.Supported)
        {
            return null;
        }
        do
        {
            offer = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong)));
        }
        while (offer == 0);
        RemoveAbandoned(directory);
        string path = PathOf(directory, ringId, toRank, offer);
        try
        {
            var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite, PreallocationSize = FileBytes,
            });
            MemoryMappedFile file;
            try
            {
                file = MemoryMappedFile.CreateFromFile(stream, null, FileBytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
            var inbox = new SharedMemoryInbox(path, file, receiving: true);
            *(ulong*)(inbox._base + OfferOffset) = offer;
            *(long*)(inbox._base + CapacityOffset) = Capacity;
            *(int*)(inbox._base + CreatorOffset) = Environment.ProcessId;
            Volatile.Write(ref *(ulong*)(inbox._base + MagicOffset), Magic);
            return inbox;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(path);
            offer = 0;
            return null;
        }
    }

    /// <summary>
    /// The sending rank's end of the inbox the next rank offered, opened from <paramref name="directory"/>; null when there
    /// is no such file there (another machine or directory) or it does not hold <paramref name="offer"/>.
    /// </summary>
    public static SharedMemoryInbox? TryOpen(string directory, string ringId, int toRank, ulong offer)
    {
        if (offer == 0 || !Futex.Supported)
        {
            return null;
        }
        // The name is derived here, never taken from the caller, and a link to elsewhere is not followed.
        string path = PathOf(directory, ringId, toRank, offer);
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length != FileBytes)
        {
            return null;
        }
        SharedMemoryInbox? inbox = null;
        try
        {
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, FileBytes, MemoryMappedFileAccess.ReadWrite);
            inbox = new SharedMemoryInbox(path, file, receiving: false);
            bool offered = Volatile.Read(ref *(ulong*)(inbox._base + MagicOffset)) == Magic && *(ulong*)(inbox._base + OfferOffset) == offer
                && *(long*)(inbox._base + CapacityOffset) == Capacity;
            if (!offered)
            {
                inbox.Dispose();
                return null;
            }
            File.Delete(path);
            return inbox;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            inbox?.Dispose();
            return null;
        }
    }

    // Offers nobody took up whose creating process is gone (a worker that crashed with its link half made): their pages
    // would stay in the tmpfs until the machine restarts.
    private static void RemoveAbandoned(string directory)
    {
        Span<byte> head = stackalloc byte[CreatorOffset + sizeof(int)];
        foreach (string path in Directory.EnumerateFiles(directory, "dt-ring-*.inbox"))
        {
            try
            {
                using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    file.ReadExactly(head);
                }
                int creator = BitConverter.ToInt32(head[CreatorOffset..]);
                if (BitConverter.ToUInt64(head) == Magic && creator > 0 && !Directory.Exists($"/proc/{creator}"))
                {
                    File.Delete(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Taken up or removed meanwhile, or not ours to read: left alone.
            }
        }
    }

    private static string PathOf(string directory, string ringId, int toRank, ulong offer)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{ringId}\n{toRank}\n{offer}"));
        return Path.Combine(directory, $"dt-ring-{Convert.ToHexStringLower(hash, 0, 16)}.inbox");
    }

    /// <summary>
    /// Appends one piece, waiting (off the thread pool) while the queue has no room; done with <paramref name="payload"/>
    /// when the task completes. Faults with <see cref="IOException"/> once the inbox is disposed (the receiver left).
    /// </summary>
    public ValueTask WriteAsync(RingPieceHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (RecordBytes(payload.Length) > Capacity / 2)
        {
            throw new ArgumentException($"Invalid payload: {payload.Length} bytes (a shared-memory piece holds at most {Capacity / 2 - RecordHeadBytes})", nameof(payload));
        }
        if (TryWrite(header, payload.Span))
        {
            return ValueTask.CompletedTask;
        }
        _roomNeeded = RecordBytes(payload.Length);
        return _waiter.RetryUntilAsync(() => TryWrite(header, payload.Span), cancellationToken);
    }

    private bool HasRoom() => WrapBytes(_roomNeeded) is not null;

    // The bytes skipped at the queue's end to make a record of `need` bytes contiguous; null when there is no room for both.
    private long? WrapBytes(long need)
    {
        long head = *(long*)(_base + HeadOffset);
        long tail = Volatile.Read(ref *(long*)(_base + TailOffset));
        long at = head % Capacity;
        long wrap = Capacity - at < need ? Capacity - at : 0;
        return Capacity - (head - tail) < need + wrap ? null : wrap;
    }

    private bool TryWrite(RingPieceHeader header, ReadOnlySpan<byte> payload)
    {
        Enter();
        try
        {
            long need = RecordBytes(payload.Length);
            if (WrapBytes(need) is not { } wrap)
            {
                return false;
            }
            long head = *(long*)(_base + HeadOffset);
            long at = head % Capacity;
            if (wrap > 0)
            {
                ((RecordHead*)(_base + QueueOffset + at))->PayloadLength = WrapMark;
                at = 0;
            }
            byte* record = _base + QueueOffset + at;
            *(RecordHead*)record = new RecordHead
            {
                PayloadLength = payload.Length, Encoding = (int)header.Encoding, Step = header.Step, Phase = (int)header.Phase,
                Round = header.Round, ChunkIndex = header.ChunkIndex, FromRank = header.FromRank, Offset = header.Offset,
            };
            payload.CopyTo(new Span<byte>(record + RecordHeadBytes, payload.Length));
            Volatile.Write(ref *(long*)(_base + HeadOffset), head + wrap + need);
            Signal(DataSequenceOffset, ReceiverWaitingOffset);
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Hands the next piece to <paramref name="reader"/> from the shared memory, waiting (off the thread pool) until one
    /// comes. Faults with <see cref="IOException"/> after <see cref="Fail"/>, and with <see cref="InvalidDataException"/> for a
    /// record that is not well formed.
    /// </summary>
    public ValueTask ReadAsync(IRingPieceReader reader, CancellationToken cancellationToken) =>
        TryRead(reader) ? ValueTask.CompletedTask : _waiter.RetryUntilAsync(() => TryRead(reader), cancellationToken);

    private bool HasPiece() => Volatile.Read(ref *(long*)(_base + HeadOffset)) != *(long*)(_base + TailOffset);

    private bool TryRead(IRingPieceReader reader)
    {
        Enter();
        try
        {
            long tail = *(long*)(_base + TailOffset);
            long written = Volatile.Read(ref *(long*)(_base + HeadOffset));
            if (written == tail)
            {
                return false;
            }
            long at = tail % Capacity;
            int length = ((RecordHead*)(_base + QueueOffset + at))->PayloadLength;
            if (length == WrapMark)
            {
                tail += Capacity - at;
                at = 0;
                length = ((RecordHead*)(_base + QueueOffset))->PayloadLength;
            }
            long size = RecordBytes(length);
            if (length < 0 || size > Capacity - at || tail + size > written)
            {
                throw new InvalidDataException($"Invalid shared-memory record at byte {tail}: payload length {length} does not fit the queue");
            }
            byte* record = _base + QueueOffset + at;
            RecordHead head = *(RecordHead*)record;
            if (head.Phase is not ((int)CollectivePhase.ReduceScatter or (int)CollectivePhase.AllGather)
                || head.Encoding is not ((int)PieceEncoding.Raw or (int)PieceEncoding.FixedPointBlocks))
            {
                throw new InvalidDataException($"Invalid shared-memory record at byte {tail}: phase {head.Phase}, encoding {head.Encoding}");
            }
            var header = new RingPieceHeader(head.Step, (CollectivePhase)head.Phase, head.Round, head.ChunkIndex, head.Offset, head.FromRank,
                (PieceEncoding)head.Encoding);
            reader.Read(header, new ReadOnlySpan<byte>(record + RecordHeadBytes, length));
            Volatile.Write(ref *(long*)(_base + TailOffset), tail + size);
            Signal(SpaceSequenceOffset, SenderWaitingOffset);
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Makes a wait in progress, and every later one, fault with <paramref name="reason"/> (the link broke).</summary>
    public void Fail(string reason)
    {
        _linkProblem = reason;
        Futex.WakeAll(Word(DataSequenceOffset));
        Futex.WakeAll(Word(SpaceSequenceOffset));
    }

    // Tells the other side that the queue changed, waking it only when it sleeps.
    private void Signal(int sequenceOffset, int waitingOffset)
    {
        Interlocked.Increment(ref *Word(sequenceOffset));
        if (Volatile.Read(ref *Word(waitingOffset)) != 0)
        {
            Futex.WakeAll(Word(sequenceOffset));
        }
    }

    private static long RecordBytes(int payloadBytes) => RecordHeadBytes + ((payloadBytes + 63L) & ~63L);

    // A record's first bytes, as both processes read and write them (the rest of its 64 bytes unused): the payload's
    // length (or the wrap mark), then the piece's header.
    private struct RecordHead
    {
        public int PayloadLength;
        public int Encoding;
        public long Step;
        public int Phase;
        public int Round;
        public int ChunkIndex;
        public int FromRank;
        public long Offset;
    }

    private int* Word(int offset) => (int*)(_base + offset);

    private void Enter()
    {
        Interlocked.Increment(ref _users);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _users);
            throw new IOException("the shared-memory link is closed");
        }
    }

    private void Exit() => Interlocked.Decrement(ref _users);

    /// <summary>
    /// Stops the waiter (a wait in progress faults), waits for a read or write in progress, unmaps the file and removes its
    /// name if the sender has not.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _waiter.Dispose();
        var spin = new SpinWait();
        while (Volatile.Read(ref _users) != 0)
        {
            spin.SpinOnce();
        }
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        File.Delete(_path);
    }
}
