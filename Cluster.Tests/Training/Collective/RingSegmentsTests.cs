using DistributedTrainer.Training.Collective;
using Xunit;

namespace DistributedTrainer.Tests.Training.Collective;

public sealed class RingSegmentsTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 3)]
    [InlineData(2, 5)]
    [InlineData(7, 3)]
    [InlineData(1000003, 8)]
    public void Range_AllSegments_TileTheVectorInOrder(int length, int size)
    {
        int next = 0;
        for (int i = 0; i < size; i++)
        {
            (int offset, int count) = RingSegments.Range(length, size, i);
            Assert.Equal(next, offset);
            next += count;
        }

        Assert.Equal(length, next);
    }

    [Fact]
    public void Range_UnevenLength_LongerSegmentsFirst()
    {
        int[] lengths = [.. Enumerable.Range(0, 4).Select(i => RingSegments.Range(10, 4, i).Length)];

        Assert.Equal([3, 3, 2, 2], lengths);
    }

    [Theory]
    [InlineData(-1, 2, 0)]
    [InlineData(10, 0, 0)]
    [InlineData(10, 2, 2)]
    [InlineData(10, 2, -1)]
    public void Range_InvalidArgument_Throws(int length, int size, int index)
    {
        Assert.Throws<ArgumentException>(() => RingSegments.Range(length, size, index));
    }
}
