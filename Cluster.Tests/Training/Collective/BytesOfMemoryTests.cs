using System.Buffers;
using System.Runtime.InteropServices;
using DistributedTrainer.Training.Collective;
using Xunit;

namespace DistributedTrainer.Tests.Training.Collective;

public sealed class BytesOfMemoryTests
{
    [Fact]
    public void Memory_SlicedByBytes_ReadsTheElementsInPlace()
    {
        long[] elements = [1, -2, 0x0102030405060708, long.MaxValue];
        Memory<byte> bytes = new BytesOfMemory<long>(elements.AsMemory(1)).Memory;

        Assert.Equal(3 * sizeof(long), bytes.Length);
        Assert.Equal(MemoryMarshal.AsBytes(elements.AsSpan(2, 1)).ToArray(), bytes.Slice(sizeof(long), sizeof(long)).ToArray());
        elements[3] = 7;
        Assert.Equal(7L, MemoryMarshal.Read<long>(bytes.Span[(2 * sizeof(long))..]));
    }

    [Fact]
    public unsafe void Pin_AtAByteOffset_PointsIntoTheElementsUntilDisposed()
    {
        float[] elements = [1f, 2f, 3f];
        Memory<byte> bytes = new BytesOfMemory<float>(elements).Memory;

        using (MemoryHandle handle = bytes.Slice(sizeof(float)).Pin())
        {
            Assert.Equal(2f, *(float*)handle.Pointer);
            MemoryHandle again = bytes.Slice(2 * sizeof(float)).Pin();
            Assert.Equal(3f, *(float*)again.Pointer);
            again.Dispose();
            Assert.Equal(2f, *(float*)handle.Pointer);
        }
    }
}
