using DistributedTrainer.Transport.Internal;
using Xunit;

namespace DistributedTrainer.Tests.Transport.Internal;

public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Rent_AnySize_OneWholeBlock()
    {
        using var pool = new LargeBlockMemoryPool();

        using var block = pool.Rent(100);

        Assert.Equal(LargeBlockMemoryPool.BlockSize, block.Memory.Length);
    }

    [Fact]
    public void Rent_AfterADispose_ReusesTheBlock()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        Memory<byte> memory = first.Memory;
        first.Dispose();

        using var second = pool.Rent();

        Assert.True(memory.Span == second.Memory.Span);
    }

    [Fact]
    public void Dispose_Twice_QueuesTheBlockOnce()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();

        using var first = pool.Rent();
        using var second = pool.Rent();

        Assert.False(first.Memory.Span == second.Memory.Span);
    }

    [Fact]
    public void Rent_MoreThanABlock_Throws()
    {
        using var pool = new LargeBlockMemoryPool();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }
}
