using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// A memory pool of 64 KiB pinned blocks for Kestrel's transport and HTTP/2 buffers, in place of its default
/// 4 KiB blocks: the socket transport reads into one block at a time, so a 1 MiB message costs 16 receive calls
/// and 16 pipe segments instead of 256 of each. Blocks are kept for reuse up to a bound and otherwise left to
/// the garbage collector.
/// </summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>Bytes per block.</summary>
    public const int BlockSize = 64 * 1024;

    // 32 MiB of idle blocks at most: one full connection window (GrpcKestrel.ConnectionWindowSize).
    private const int MaxIdleBlocks = GrpcKestrel.ConnectionWindowSize / BlockSize;

    private readonly ConcurrentQueue<Block> _idle = new();
    private int _idleCount;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"Invalid minBufferSize: {minBufferSize} (must be at most {BlockSize})");
        }

        if (_idle.TryDequeue(out Block? block))
        {
            Interlocked.Decrement(ref _idleCount);
            block.Rented = true;
            return block;
        }

        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        _idle.Clear();
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _idleCount) > MaxIdleBlocks)
        {
            Interlocked.Decrement(ref _idleCount);
            return;
        }

        _idle.Enqueue(block);
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly LargeBlockMemoryPool _pool;

        public Block(LargeBlockMemoryPool pool)
        {
            _pool = pool;
            Memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), 0, BlockSize);
            Rented = true;
        }

        public Memory<byte> Memory { get; }

        public bool Rented { get; set; }

        public void Dispose()
        {
            // Pipes dispose each block once; the flag keeps a second dispose from queuing it twice.
            if (Rented)
            {
                Rented = false;
                _pool.Return(this);
            }
        }
    }
}
