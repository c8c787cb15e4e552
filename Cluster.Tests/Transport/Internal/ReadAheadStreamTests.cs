using DistributedTrainer.Transport.Internal;
using Xunit;

namespace DistributedTrainer.Tests.Transport.Internal;

public sealed class ReadAheadStreamTests
{
    [Fact]
    public async Task ReadAsync_SmallReads_OneReceiveServesMany()
    {
        byte[] data = Pattern(100_000);
        var socket = new CountingStream(data);
        await using var stream = new ReadAheadStream(socket);

        byte[] read = await ReadAllAsync(stream, chunk: 8192);

        Assert.Equal(data, read);
        // One receive takes all 100,000 bytes; the 13 reads of 8 KiB come from memory; one more receive sees the end.
        Assert.Equal(2, socket.Reads);
    }

    [Fact]
    public async Task ReadAsync_WhatArrivedOnly_NeverWaitsForMore()
    {
        // The socket hands out at most 1,000 bytes per receive, as when the peer has sent only that much so far.
        var socket = new CountingStream(Pattern(5_000), maxPerRead: 1_000);
        await using var stream = new ReadAheadStream(socket);
        byte[] destination = new byte[4_096];

        int count = await stream.ReadAsync(destination);

        Assert.Equal(1_000, count);
        Assert.Equal(Pattern(5_000)[..1_000], destination[..1_000]);
    }

    [Fact]
    public async Task ReadAsync_DestinationAsLargeAsTheBuffer_ReadsStraightIntoIt()
    {
        byte[] data = Pattern(ReadAheadStream.BufferSize + 10);
        var socket = new CountingStream(data);
        await using var stream = new ReadAheadStream(socket);
        byte[] destination = new byte[ReadAheadStream.BufferSize];

        int count = await stream.ReadAsync(destination);

        Assert.Equal(ReadAheadStream.BufferSize, count);
        Assert.Equal(data[..ReadAheadStream.BufferSize], destination);
        Assert.True(socket.LastDestination.Span == destination.AsSpan());
    }

    [Fact]
    public async Task ReadAsync_ZeroBytes_WaitsForDataAndTakesItInTheSameReceive()
    {
        byte[] data = Pattern(3_000);
        var socket = new CountingStream(data);
        await using var stream = new ReadAheadStream(socket);

        int empty = await stream.ReadAsync(Memory<byte>.Empty);
        byte[] destination = new byte[3_000];
        int count = await stream.ReadAsync(destination);

        Assert.Equal(0, empty);
        Assert.Equal(3_000, count);
        Assert.Equal(data, destination);
        Assert.Equal(1, socket.Reads);
    }

    [Fact]
    public void Read_Synchronous_SameBytesAsTheSocket()
    {
        byte[] data = Pattern(50_000);
        using var stream = new ReadAheadStream(new CountingStream(data, maxPerRead: 7_000));
        var read = new List<byte>();
        byte[] chunk = new byte[3_000];

        int count;
        while ((count = stream.Read(chunk)) > 0)
        {
            read.AddRange(chunk.AsSpan(0, count).ToArray());
        }

        Assert.Equal(data, read.ToArray());
    }

    [Fact]
    public async Task WriteAsync_GoesStraightToTheSocket()
    {
        var socket = new CountingStream([]);
        await using var stream = new ReadAheadStream(socket);

        await stream.WriteAsync(new byte[] { 1, 2, 3 });

        Assert.Equal([1, 2, 3], socket.Written.ToArray());
    }

    [Fact]
    public async Task DisposeAsync_DisposesTheSocket_LaterReadsRefused()
    {
        var socket = new CountingStream(Pattern(10));
        var stream = new ReadAheadStream(socket);

        await stream.DisposeAsync();

        Assert.True(socket.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await stream.ReadExactlyAsync(new byte[4]));
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, int chunk)
    {
        var read = new MemoryStream();
        byte[] buffer = new byte[chunk];
        int count;
        while ((count = await stream.ReadAsync(buffer)) > 0)
        {
            read.Write(buffer, 0, count);
        }
        return read.ToArray();
    }

    private static byte[] Pattern(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7 + (i >> 8)))];

    /// <summary>A socket stand-in: hands out <c>data</c> at most <c>maxPerRead</c> bytes per receive and counts receives.</summary>
    private sealed class CountingStream(byte[] data, int maxPerRead = int.MaxValue) : Stream
    {
        private int _position;

        public int Reads { get; private set; }

        public Memory<byte> LastDestination { get; private set; }

        public MemoryStream Written { get; } = new();

        public bool Disposed { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(destination.Span, destination));

        public override int Read(Span<byte> destination) => Read(destination, default);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            Written.Write(source.Span);
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }

        private int Read(Span<byte> destination, Memory<byte> memory)
        {
            Reads++;
            LastDestination = memory;
            int count = Math.Min(Math.Min(destination.Length, maxPerRead), data.Length - _position);
            data.AsSpan(_position, count).CopyTo(destination);
            _position += count;
            return count;
        }
    }
}
