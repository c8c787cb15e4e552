namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// A connection's stream whose reads take everything the socket holds, up to <see cref="BufferSize"/>, in one receive,
/// and serve the reader's smaller reads from memory; writes go straight through.
/// </summary>
/// <remarks>
/// SocketsHttpHandler reads its HTTP/2 connection into a buffer sized for one 16 KiB frame, so a 1.9 MB response costs
/// it about 230 receive calls (8 KiB each, measured with perf on a cluster step), and each receive is a system call,
/// which on this project's virtual machines costs microseconds. Reading ahead turns them into a few receives of what
/// has arrived, for one extra copy in memory. A read never waits for more than the socket has: the reader gets what
/// arrived, as from the socket itself. A zero-byte read (the handler's wait for data) receives into the buffer when it
/// is empty, so the wait and the receive are one call, not two.
/// </remarks>
internal sealed class ReadAheadStream : Stream
{
    /// <summary>Most bytes taken from the socket in one receive.</summary>
    public const int BufferSize = 256 * 1024;

    private readonly Stream _inner;
    // Not pooled: the handler may dispose the stream while a receive into the buffer is still pending.
    private readonly byte[] _buffer = new byte[BufferSize];
    private bool _disposed;
    private int _start;
    private int _end;

    /// <param name="inner">The connection's stream; disposed with this one.</param>
    public ReadAheadStream(Stream inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] buffer = _buffer;
        if (_start == _end)
        {
            if (destination.Length >= buffer.Length)
            {
                // As large as the buffer: straight into the reader's memory, no copy.
                return await _inner.ReadAsync(destination, cancellationToken);
            }
            _start = 0;
            _end = await _inner.ReadAsync(buffer, cancellationToken);
        }
        return Take(destination.Span);
    }

    public override int Read(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] buffer = _buffer;
        if (_start == _end)
        {
            if (destination.Length >= buffer.Length)
            {
                return _inner.Read(destination);
            }
            _start = 0;
            _end = _inner.Read(buffer);
        }
        return Take(destination);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(source, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(ReadOnlySpan<byte> source) => _inner.Write(source);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _disposed = true;
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    // Copies out what is buffered, as much as fits; the end of the stream (0 from the socket) reads as 0 here too.
    private int Take(Span<byte> destination)
    {
        int count = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }
}
