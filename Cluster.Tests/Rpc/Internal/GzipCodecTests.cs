using System.Buffers;
using DistributedTrainer.Rpc;
using DistributedTrainer.Rpc.Internal;
using Xunit;

namespace DistributedTrainer.Tests.Rpc.Internal;

public sealed class GzipCodecTests
{
    [Fact]
    public void Decompress_Compressed_RoundTrips()
    {
        byte[] data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 31)).ToArray();

        byte[] roundTrip = GzipCodec.Decompress(new ReadOnlySequence<byte>(GzipCodec.Compress(data)), 1 << 20);

        Assert.Equal(data, roundTrip);
    }

    [Fact]
    public void Decompress_Bomb_ResourceExhausted()
    {
        byte[] bomb = GzipCodec.Compress(new byte[32 * 1024 * 1024]);

        var error = Assert.Throws<RpcException>(() => GzipCodec.Decompress(new ReadOnlySequence<byte>(bomb), 1 << 20));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void Decompress_Bomb_AllocatesAboutTheLimitNotTheExpandedSize()
    {
        const int limit = 1 << 20;
        byte[] bomb = GzipCodec.Compress(new byte[32 * 1024 * 1024]);
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.Throws<RpcException>(() => GzipCodec.Decompress(new ReadOnlySequence<byte>(bomb), limit));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.InRange(allocated, 0, 4L * limit);
    }

    [Fact]
    public void Decompress_NotGzip_Internal()
    {
        var error = Assert.Throws<RpcException>(() => GzipCodec.Decompress(new ReadOnlySequence<byte>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 1000));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }
}
