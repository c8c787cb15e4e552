using System.IO.MemoryMappedFiles;
using DistributedTrainer.Training;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// A job's micro-shards as the workers on one machine share them: a memory-mapped file in a directory they all know
/// (<c>--shard-board DIR</c>), with one slot per ring rank. At each step a worker publishes its shards in its slot and
/// takes them from the front as it computes them (<see cref="Publish"/>); a worker done with its own takes the ones
/// another has not started from the back (<see cref="TryTakeOver"/>). Each shard is taken once, by one compare-and-swap
/// on the slot's word: the shard's exact fixed-point sums go into whichever worker's gradient computes it, the
/// reduce-scatter adds them all the same, and the coordinator places each shard's outcome by its index, so the step's
/// result does not depend on who computed what.
/// </summary>
/// <remarks>
/// The word holds a key of the step and ring generation (32 bits), the next shard from the front (16) and the end of
/// the shards not taken (16). The key keeps a worker of another step or generation from taking anything. A slot's
/// shards stay in place until its worker's next step, which cannot begin before every worker's reduce-scatter, that is
/// after every shard taken over is computed. What a worker reads from another's slot is copied and checked before use.
/// </remarks>
internal sealed unsafe class ShardBoard : IDisposable
{
    /// <summary>Ranks with a slot; a worker of a higher rank computes its own shards only.</summary>
    public const int MaxRanks = 64;

    /// <summary>Shards a slot holds; a step with more is computed by its own worker only.</summary>
    public const int MaxShards = 1024;

    /// <summary>Sample ids a slot holds; a step with more is computed by its own worker only.</summary>
    public const int MaxSampleIds = 16384;

    // A slot: the word (8 bytes), the number of shards (4), padding to 64; then the shards' starts, lengths and indices
    // (MaxShards ints each) and the sample ids.
    private const int WordOffset = 0;
    private const int ShardCountOffset = 8;
    private const int StartsOffset = 64;
    private const int LengthsOffset = StartsOffset + MaxShards * sizeof(int);
    private const int IndicesOffset = LengthsOffset + MaxShards * sizeof(int);
    private const int IdsOffset = IndicesOffset + MaxShards * sizeof(int);
    private const int SlotBytes = IdsOffset + MaxSampleIds * sizeof(int);
    private const long FileBytes = (long)MaxRanks * SlotBytes;

    private readonly string _path;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;

    private ShardBoard(string path, MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        (_path, _file, _view) = (path, file, view);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer;
    }

    /// <summary>The board of job <paramref name="jobId"/> in <paramref name="directory"/>, created if no worker has yet.</summary>
    /// <exception cref="IOException">The file cannot be created or mapped, or has another size (another version's board).</exception>
    public static ShardBoard Open(string directory, string jobId)
    {
        string path = Path.Combine(directory, $"{jobId}.shards");
        // The file stays sparse: a slot's pages exist once its worker publishes.
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.OpenOrCreate, null, FileBytes, MemoryMappedFileAccess.ReadWrite);
        try
        {
            long length = new FileInfo(path).Length;
            if (length != FileBytes)
            {
                throw new IOException($"Shard board {path} holds {length} bytes, not {FileBytes}");
            }
            return new ShardBoard(path, file, file.CreateViewAccessor(0, FileBytes));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Publishes the shards of <paramref name="rank"/>'s step <paramref name="step"/> in generation
    /// <paramref name="generation"/> (shard k: the next <paramref name="lengths"/>[k] of <paramref name="sampleIds"/>,
    /// batch index <paramref name="indices"/>[k]) and returns the queue its engines take them from; null when they do not
    /// fit a slot, and the worker computes them all itself. Either way, the rank's shards of earlier steps are withdrawn.
    /// </summary>
    public IShardQueue? Publish(int rank, long generation, long step, ReadOnlySpan<int> sampleIds, ReadOnlySpan<int> lengths,
        ReadOnlySpan<int> indices)
    {
        if (rank < 0 || rank >= MaxRanks)
        {
            return null;
        }
        byte* slot = Slot(rank);
        ref long word = ref *(long*)(slot + WordOffset);
        // Nothing can be taken while the shards are rewritten.
        Interlocked.Exchange(ref word, 0);
        if (lengths.Length > MaxShards || sampleIds.Length > MaxSampleIds)
        {
            return null;
        }
        int start = 0;
        for (int k = 0; k < lengths.Length; k++)
        {
            ((int*)(slot + StartsOffset))[k] = start;
            ((int*)(slot + LengthsOffset))[k] = lengths[k];
            ((int*)(slot + IndicesOffset))[k] = indices[k];
            start += lengths[k];
        }
        sampleIds.CopyTo(new Span<int>(slot + IdsOffset, MaxSampleIds));
        *(int*)(slot + ShardCountOffset) = lengths.Length;
        uint key = Key(generation, step);
        Interlocked.Exchange(ref word, Word(key, 0, lengths.Length));
        return new FrontQueue(this, rank, key);
    }

    /// <summary>
    /// Takes over the last shard <paramref name="rank"/> has not started in the same step and generation, copying its sample
    /// ids into <paramref name="sampleIds"/> (at least <paramref name="shardSize"/> long); false when there is none.
    /// </summary>
    /// <exception cref="InvalidDataException">The slot holds a shard that is not a valid one of a job with
    /// <paramref name="trainCount"/> training samples and micro-shards of <paramref name="shardSize"/>.</exception>
    public bool TryTakeOver(int rank, long generation, long step, int shardSize, int trainCount, Span<int> sampleIds, out int length, out int index)
    {
        (length, index) = (0, -1);
        if (rank < 0 || rank >= MaxRanks)
        {
            return false;
        }
        byte* slot = Slot(rank);
        ref long word = ref *(long*)(slot + WordOffset);
        uint key = Key(generation, step);
        while (true)
        {
            long seen = Volatile.Read(ref word);
            var (seenKey, front, end) = Split(seen);
            if (seenKey != key || front >= end)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref word, Word(key, front, end - 1), seen) != seen)
            {
                continue;
            }
            int shard = end - 1;
            int shards = *(int*)(slot + ShardCountOffset);
            int start = ((int*)(slot + StartsOffset))[shard];
            length = ((int*)(slot + LengthsOffset))[shard];
            index = ((int*)(slot + IndicesOffset))[shard];
            if (shard >= shards || length < 1 || length > shardSize || length > sampleIds.Length || start < 0 || start > MaxSampleIds - length || index < 0)
            {
                throw new InvalidDataException($"Shard board {_path}: rank {rank}'s shard {shard} is not a valid one");
            }
            var ids = sampleIds[..length];
            new ReadOnlySpan<int>(slot + IdsOffset + (long)start * sizeof(int), length).CopyTo(ids);
            foreach (int id in ids)
            {
                if ((uint)id >= (uint)trainCount)
                {
                    throw new InvalidDataException($"Shard board {_path}: rank {rank}'s shard {shard} names sample {id} of {trainCount}");
                }
            }
            return true;
        }
    }

    /// <summary>Unmaps the board and deletes its file: workers that have it mapped keep theirs; one that opens it later starts a new one.</summary>
    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Another worker's disposal got there first, or the directory is gone: nothing is left to clean.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private byte* Slot(int rank) => _base + (long)rank * SlotBytes;

    // Never 0, the key of an empty slot.
    private static uint Key(long generation, long step)
    {
        ulong mixed = ((ulong)step + 1) * 0x9E3779B97F4A7C15UL ^ (ulong)generation * 0xC2B2AE3D27D4EB4FUL;
        uint key = (uint)(mixed >> 32) ^ (uint)mixed;
        return key == 0 ? 1 : key;
    }

    private static long Word(uint key, int front, int end) => (long)((ulong)key << 32 | (uint)front << 16 | (uint)end);

    private static (uint Key, int Front, int End) Split(long word) =>
        ((uint)((ulong)word >> 32), (int)((ulong)word >> 16 & 0xFFFF), (int)((ulong)word & 0xFFFF));

    // A worker's own engines take its shards from the front.
    private sealed class FrontQueue(ShardBoard board, int rank, uint key) : IShardQueue
    {
        public bool TryTakeNext(out int shard)
        {
            ref long word = ref *(long*)(board.Slot(rank) + WordOffset);
            while (true)
            {
                long seen = Volatile.Read(ref word);
                var (seenKey, front, end) = Split(seen);
                if (seenKey != key || front >= end)
                {
                    shard = -1;
                    return false;
                }
                if (Interlocked.CompareExchange(ref word, Word(key, front + 1, end), seen) == seen)
                {
                    shard = front;
                    return true;
                }
            }
        }
    }
}
