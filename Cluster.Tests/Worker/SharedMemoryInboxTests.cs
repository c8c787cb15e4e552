using System.IO.MemoryMappedFiles;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Collective;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

public sealed class SharedMemoryInboxTests
{
    [Fact]
    public async Task WriteAsyncAndReadAsync_PiecesOfEverySizeRoundTheQueueManyTimes_ArriveInOrderIntact()
    {
        using var directory = new TemporaryDirectory();
        using var receiver = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 1, out ulong offer)!;
        using var sender = SharedMemoryInbox.TryOpen(directory.Path, "ring/g1", toRank: 1, offer)!;
        var random = new Random(7);
        // Up to half the queue each, 0 to 4 MiB: the queue fills, wraps at its end, and each side waits for the other.
        int[] lengths = [.. Enumerable.Range(0, 120).Select(i => i % 10 == 0 ? 0 : random.Next(1, (int)(SharedMemoryInbox.Capacity / 2) - 64))];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        Task writing = Task.Run(async () =>
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                await sender.WriteAsync(Header(i), Payload(i, lengths[i]), deadline.Token);
            }
        });
        var reader = new RecordingReader();
        for (int i = 0; i < lengths.Length; i++)
        {
            await receiver.ReadAsync(reader, deadline.Token);
        }
        await writing;

        Assert.Equal(lengths.Length, reader.Pieces.Count);
        for (int i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(Header(i), reader.Pieces[i].Header);
            Assert.True(Payload(i, lengths[i]).AsSpan().SequenceEqual(reader.Pieces[i].Payload), $"piece {i} of {lengths[i]} bytes differs");
        }
    }

    [Fact]
    public void TryOpen_AnotherOfferOrDirectory_FindsNoInbox()
    {
        using var directory = new TemporaryDirectory();
        using var elsewhere = new TemporaryDirectory();
        using var receiver = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 2, out ulong offer)!;

        Assert.NotEqual(0UL, offer);
        Assert.Null(SharedMemoryInbox.TryOpen(directory.Path, "ring/g1", toRank: 2, offer + 1));
        Assert.Null(SharedMemoryInbox.TryOpen(directory.Path, "ring/g2", toRank: 2, offer));
        Assert.Null(SharedMemoryInbox.TryOpen(directory.Path, "ring/g1", toRank: 1, offer));
        Assert.Null(SharedMemoryInbox.TryOpen(elsewhere.Path, "ring/g1", toRank: 2, offer));
        Assert.Null(SharedMemoryInbox.TryOpen(directory.Path, "ring/g1", toRank: 2, offer: 0));
        // The offer still stands: nothing above took it up.
        Assert.Single(Directory.GetFiles(directory.Path));
        using var sender = SharedMemoryInbox.TryOpen(directory.Path, "ring/g1", toRank: 2, offer);
        Assert.NotNull(sender);
        Assert.Empty(Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void Dispose_AnOfferNobodyTookUp_RemovesItsFile()
    {
        using var directory = new TemporaryDirectory();
        var receiver = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 1, out _)!;
        Assert.Single(Directory.GetFiles(directory.Path));

        receiver.Dispose();

        Assert.Empty(Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void TryCreate_AnOfferWhoseCreatorIsGone_RemovedAndLiveOnesKept()
    {
        using var directory = new TemporaryDirectory();
        using var abandoned = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 1, out _)!;
        string abandonedPath = Directory.GetFiles(directory.Path).Single();
        using var live = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 2, out _)!;
        // As if its creator had died: a process id that no process has.
        using (var file = MemoryMappedFile.CreateFromFile(abandonedPath, FileMode.Open))
        using (var view = file.CreateViewAccessor())
        {
            view.Write(24, int.MaxValue);
        }

        using var later = SharedMemoryInbox.TryCreate(directory.Path, "ring/g2", toRank: 1, out _)!;

        Assert.False(File.Exists(abandonedPath));
        Assert.Equal(2, Directory.GetFiles(directory.Path).Length);
    }

    [Fact]
    public async Task ReadAsync_NothingComesAndTheTokenIsCancelled_StopsWithinASliceOfTheWait()
    {
        using var directory = new TemporaryDirectory();
        using var receiver = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 1, out _)!;
        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => receiver.ReadAsync(new RecordingReader(), cancelled.Token).AsTask()).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ReadAsync_LinkFailsWhileWaiting_FaultsWithTheReason()
    {
        using var directory = new TemporaryDirectory();
        using var receiver = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 1, out _)!;
        Task reading = receiver.ReadAsync(new RecordingReader(), CancellationToken.None).AsTask();

        receiver.Fail("rank 0 ended its stream");

        var failure = await Assert.ThrowsAsync<IOException>(() => reading).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("rank 0 ended its stream", failure.Message);
    }

    [Fact]
    public async Task WriteAsync_WaitingForRoomWhenTheSenderIsDisposed_FaultsAndTouchesNothing()
    {
        using var directory = new TemporaryDirectory();
        using var receiver = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 1, out ulong offer)!;
        var sender = SharedMemoryInbox.TryOpen(directory.Path, "ring/g1", toRank: 1, offer)!;
        byte[] payload = new byte[3 * 1024 * 1024];
        await sender.WriteAsync(Header(0), payload, CancellationToken.None);
        await sender.WriteAsync(Header(1), payload, CancellationToken.None);
        Task waiting = sender.WriteAsync(Header(2), payload, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        sender.Dispose();

        await Assert.ThrowsAsync<IOException>(() => waiting).WaitAsync(TimeSpan.FromSeconds(10));
        var reader = new RecordingReader();
        await receiver.ReadAsync(reader, CancellationToken.None);
        await receiver.ReadAsync(reader, CancellationToken.None);
        Assert.Equal([Header(0), Header(1)], reader.Pieces.Select(piece => piece.Header));
    }

    [Fact]
    public async Task ReadAsync_ARecordLongerThanTheQueue_RefusedAsInvalidDataWithoutReadingIt()
    {
        using var directory = new TemporaryDirectory();
        using var receiver = SharedMemoryInbox.TryCreate(directory.Path, "ring/g1", toRank: 1, out _)!;
        // A writer that breaks the format: the head says one record is there, and the record claims more than the queue.
        using (var file = MemoryMappedFile.CreateFromFile(Directory.GetFiles(directory.Path).Single(), FileMode.Open))
        using (var view = file.CreateViewAccessor())
        {
            view.Write(4096, int.MaxValue - 64);
            view.Write(64, 128L);
        }
        var reader = new RecordingReader();

        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => receiver.ReadAsync(reader, CancellationToken.None).AsTask());

        Assert.StartsWith("Invalid shared-memory record at byte 0: payload length", refused.Message, StringComparison.Ordinal);
        Assert.Empty(reader.Pieces);
    }

    private static RingPieceHeader Header(int i) =>
        new(Step: 1000 + i, i % 2 == 0 ? CollectivePhase.ReduceScatter : CollectivePhase.AllGather, Round: i % 3, ChunkIndex: i, Offset: 17L * i, FromRank: 4,
            i % 4 == 0 ? PieceEncoding.FixedPointBlocks : PieceEncoding.Raw);

    private static byte[] Payload(int i, int length)
    {
        byte[] payload = new byte[length];
        new Random(i).NextBytes(payload);
        return payload;
    }

    private sealed class RecordingReader : IRingPieceReader
    {
        public List<(RingPieceHeader Header, byte[] Payload)> Pieces { get; } = [];

        public void Read(RingPieceHeader header, ReadOnlySpan<byte> payload) => Pieces.Add((header, payload.ToArray()));
    }
}
