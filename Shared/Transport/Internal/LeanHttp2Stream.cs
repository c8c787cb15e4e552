using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using static DistributedTrainer.Transport.Internal.Http2Framing;

namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// One HTTP/2 request on a connection of its own (stream 1), read as its response body: <see cref="SendAsync"/>
/// writes the connection preface, the settings and the request, and returns the response once its headers arrive;
/// each read then takes the next bytes of DATA, answering the server's SETTINGS and PINGs and returning window
/// updates on the way, and ends at the trailers, which it puts in <see cref="HttpResponseMessage.TrailingHeaders"/>.
/// </summary>
/// <remarks>
/// The server is told to send frames of up to 16 MiB (SETTINGS_MAX_FRAME_SIZE) and to keep no header table
/// (SETTINGS_HEADER_TABLE_SIZE 0). A DATA payload is copied from the receive buffer into the reader's memory, or
/// received straight into it when the buffer is empty and the read is large. Any failure, a cancelled read included,
/// leaves the connection broken: every later read fails. Dispose closes the connection.
/// </remarks>
internal sealed class LeanHttp2Stream : Stream
{

    /// <summary>The flow-control window of the stream and the connection; an update goes out when half is used.</summary>
    private const int WindowBytes = 16 * 1024 * 1024;

    /// <summary>The largest header block (headers or trailers) accepted (SETTINGS_MAX_HEADER_LIST_SIZE).</summary>
    private const int MaxHeaderBlockBytes = 64 * 1024;

    /// <summary>A read of at least this many bytes, with nothing buffered, receives straight into the reader's memory.</summary>
    private const int DirectReadBytes = 16 * 1024;

    /// <summary>
    /// A receive into the buffer asks for at most this many bytes beyond what the frame part being read needs: enough
    /// for a burst of small frames in one call, while a large DATA payload behind a frame header stays in the socket
    /// and goes straight into the reader's memory instead of being copied out of the buffer.
    /// </summary>
    private const int ReadAheadBytes = 16 * 1024;

    private const int StreamId = 1;

    // Headers that belong to HTTP/1.1 connections and must not be sent on HTTP/2 (RFC 9113 8.2.2).
    private static readonly HashSet<string> ConnectionHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
    };

    // The socket as a stream, which reports its failures as IOExceptions, as SocketsHttpHandler's connections do.
    private readonly NetworkStream _connection;

    // Not pooled: a receive into it may still be pending when the stream is disposed.
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;
    private HttpResponseMessage? _response;
    private int _dataLeft;
    private int _paddingLeft;
    private bool _endAfterData;
    private bool _ended;
    private long _unannouncedBytes;
    private Exception? _broken;
    private bool _disposed;

    // Writes (the body's DATA, and the reader's acknowledgements and window updates) one at a time.
    private readonly SemaphoreSlim _writing = new(1, 1);

    // What the server lets this client send: the reads take the server's SETTINGS and WINDOW_UPDATEs, so a body larger
    // than the windows goes on as the response is read.
    private readonly Http2SendWindows _windows = new(StreamId);

    /// <param name="socket">A connected socket; disposed with this stream.</param>
    public LeanHttp2Stream(Socket socket)
    {
        _connection = new NetworkStream(socket, ownsSocket: true);
    }

    public override bool CanRead => true;

    public override bool CanWrite => false;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Writes the request's headers, starts writing its body (in the background: a streaming request's body goes on
    /// while the response is read) and reads until the response's headers have arrived.
    /// </summary>
    /// <exception cref="HttpRequestException">The connection failed or the server broke the protocol.</exception>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var frames = new List<byte>(Preface.ToArray());
        AppendSettings(frames);
        AppendFrame(frames, WindowUpdate, 0, 0, BigEndian(WindowBytes - Http2SendWindows.InitialWindowBytes));
        byte[] headerBlock = HeaderBlock(request);
        if (headerBlock.Length > Http2SendWindows.InitialFrameBytes)
        {
            throw new HttpRequestException($"Invalid request: its headers take {headerBlock.Length} bytes (this client writes at most {Http2SendWindows.InitialFrameBytes})");
        }
        AppendFrame(frames, Headers, (byte)(EndHeaders | (request.Content is null ? EndStream : 0)), StreamId, headerBlock);

        try
        {
            await SendFramesAsync(frames.ToArray(), cancellationToken);
            if (request.Content is { } content)
            {
                _ = WriteBodyAsync(content);
            }
            while (_response is null)
            {
                await NextFrameAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
        {
            throw new HttpRequestException(HttpRequestError.HttpProtocolError, $"HTTP/2 request to {request.RequestUri?.Authority} failed: {e.Message}", e);
        }
        return _response;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_broken is not null)
        {
            throw new IOException($"The HTTP/2 connection broke earlier: {_broken.Message}", _broken);
        }
        if (destination.IsEmpty)
        {
            return 0;
        }

        try
        {
            while (true)
            {
                if (_dataLeft > 0)
                {
                    int wanted = Math.Min(destination.Length, _dataLeft);
                    int read;
                    if (_end > _start)
                    {
                        read = Math.Min(wanted, _end - _start);
                        _buffer.AsSpan(_start, read).CopyTo(destination.Span);
                        _start += read;
                    }
                    else if (wanted >= DirectReadBytes)
                    {
                        read = await _connection.ReadAsync(destination[..wanted], cancellationToken);
                        if (read == 0)
                        {
                            throw new IOException("The server closed the connection in the middle of a DATA frame");
                        }
                    }
                    else
                    {
                        await ReceiveAsync(0, cancellationToken);
                        continue;
                    }
                    _dataLeft -= read;
                    return read;
                }

                if (_paddingLeft > 0)
                {
                    await SkipAsync(_paddingLeft, cancellationToken);
                    _paddingLeft = 0;
                }
                if (_endAfterData)
                {
                    _ended = true;
                }
                if (_ended)
                {
                    return 0;
                }
                await NextFrameAsync(cancellationToken);
            }
        }
        catch (Exception e)
        {
            _broken = e;
            throw;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _windows.Close(new ObjectDisposedException(nameof(LeanHttp2Stream)));
            _connection.Dispose();
        }
        base.Dispose(disposing);
    }

    // Reads one frame other than a DATA frame's payload: a DATA frame only sets what the reads take next.
    private async ValueTask NextFrameAsync(CancellationToken cancellationToken)
    {
        await FillAsync(FrameHeaderBytes, cancellationToken);
        (int length, byte type, byte flags, int streamId) = ReadFrameHeader();
        if (length > Http2SendWindows.MaxFrameBytes)
        {
            throw new InvalidDataException($"a frame of {length} bytes (the most allowed is {Http2SendWindows.MaxFrameBytes})");
        }

        switch (type)
        {
            case Data:
                ExpectStream(streamId, "DATA");
                if (_response is null)
                {
                    throw new InvalidDataException("DATA before the response's headers");
                }
                // The whole frame, pad length and padding included, counts against the window.
                int frameLength = length;
                int padding = 0;
                if ((flags & Padded) != 0)
                {
                    await FillAsync(1, cancellationToken);
                    padding = _buffer[_start++];
                    length--;
                    if (padding > length)
                    {
                        throw new InvalidDataException($"a DATA frame padded by {padding} of its {length} bytes");
                    }
                }
                _dataLeft = length - padding;
                _paddingLeft = padding;
                _endAfterData = (flags & EndStream) != 0;
                await AnnounceAsync(frameLength, cancellationToken);
                break;
            case Headers:
                ExpectStream(streamId, "HEADERS");
                OnHeaderBlock(await ReadHeaderBlockAsync(length, flags, cancellationToken), (flags & EndStream) != 0);
                break;
            case RstStream:
                await FillAsync(length, cancellationToken);
                uint code = length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start)) : 0;
                throw new IOException($"The server reset the stream (HTTP/2 error code {code})");
            case Settings:
                await FillAsync(length, cancellationToken);
                if ((flags & Ack) == 0)
                {
                    _windows.ApplySettings(_buffer.AsSpan(_start, length));
                }
                _start += length;
                if ((flags & Ack) == 0)
                {
                    await WriteFrameAsync(Settings, Ack, 0, [], cancellationToken);
                }
                break;
            case WindowUpdate:
                await FillAsync(length, cancellationToken);
                int increment = length == 4 ? (int)(BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start)) & 0x7FFF_FFFF) : 0;
                _start += length;
                _windows.Open(streamId, increment);
                break;
            case Ping:
                await FillAsync(length, cancellationToken);
                byte[] opaque = _buffer.AsSpan(_start, length).ToArray();
                _start += length;
                if ((flags & Ack) == 0)
                {
                    await WriteFrameAsync(Ping, Ack, 0, opaque, cancellationToken);
                }
                break;
            case GoAway:
                await FillAsync(length, cancellationToken);
                int lastStream = length >= 8 ? (int)(BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start)) & 0x7FFF_FFFF) : 0;
                uint goAwayCode = length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_start + 4)) : 0;
                _start += length;
                if (lastStream < StreamId)
                {
                    throw new IOException($"The server is going away without serving the request (HTTP/2 error code {goAwayCode})");
                }
                // A server going away still finishes the streams it took.
                break;
            case PushPromise:
                throw new InvalidDataException("PUSH_PROMISE, which this client turned off");
            case Continuation:
                throw new InvalidDataException("CONTINUATION without a HEADERS frame before it");
            default:
                // PRIORITY and unknown types.
                await SkipAsync(length, cancellationToken);
                break;
        }
    }

    private async ValueTask<byte[]> ReadHeaderBlockAsync(int length, byte flags, CancellationToken cancellationToken)
    {
        if (length > MaxHeaderBlockBytes)
        {
            throw new InvalidDataException($"a header block larger than {MaxHeaderBlockBytes} bytes");
        }
        var block = new List<byte>();
        await FillAsync(length, cancellationToken);
        int payloadStart = _start;
        int payloadEnd = _start + length;
        _start = payloadEnd;
        if ((flags & Padded) != 0)
        {
            int padding = length > 0 ? _buffer[payloadStart++] : throw new InvalidDataException("a padded HEADERS frame with no payload");
            payloadEnd -= padding;
        }
        if ((flags & PriorityFlag) != 0)
        {
            payloadStart += 5;
        }
        if (payloadEnd < payloadStart)
        {
            throw new InvalidDataException("a HEADERS frame whose padding and priority exceed its length");
        }
        block.AddRange(_buffer.AsSpan(payloadStart, payloadEnd - payloadStart));

        while ((flags & EndHeaders) == 0)
        {
            await FillAsync(FrameHeaderBytes, cancellationToken);
            (int nextLength, byte type, byte nextFlags, int streamId) = ReadFrameHeader();
            if (type != Continuation || streamId != StreamId)
            {
                throw new InvalidDataException($"frame type {type} on stream {streamId} inside a header block");
            }
            if (block.Count + nextLength > MaxHeaderBlockBytes)
            {
                throw new InvalidDataException($"a header block larger than {MaxHeaderBlockBytes} bytes");
            }
            await FillAsync(nextLength, cancellationToken);
            block.AddRange(_buffer.AsSpan(_start, nextLength));
            _start += nextLength;
            flags = nextFlags;
        }
        return [.. block];
    }

    private void OnHeaderBlock(byte[] block, bool endStream)
    {
        List<KeyValuePair<string, string>> fields = HPack.Read(block);
        if (_response is null)
        {
            var response = new HttpResponseMessage { Version = HttpVersion.Version20 };
            var content = new StreamContent(this);
            foreach ((string name, string value) in fields)
            {
                if (name == ":status")
                {
                    response.StatusCode = int.TryParse(value, out int status) && status is >= 100 and <= 999
                        ? (HttpStatusCode)status
                        : throw new InvalidDataException($"the response's :status is '{value}'");
                }
                else if (name.StartsWith(':'))
                {
                    throw new InvalidDataException($"the response carries the pseudo-header {name}");
                }
                else if (!response.Headers.TryAddWithoutValidation(name, value))
                {
                    content.Headers.TryAddWithoutValidation(name, value);
                }
            }
            response.Content = content;
            _response = response;
        }
        else
        {
            if (!endStream)
            {
                throw new InvalidDataException("a second header block that does not end the stream");
            }
            foreach ((string name, string value) in fields)
            {
                _response.TrailingHeaders.TryAddWithoutValidation(name, value);
            }
        }
        _ended |= endStream;
    }

    // Gives the server back the window its DATA used, once half of it is used.
    private async ValueTask AnnounceAsync(int bytes, CancellationToken cancellationToken)
    {
        _unannouncedBytes += bytes;
        if (_unannouncedBytes < WindowBytes / 2)
        {
            return;
        }
        byte[] increment = BigEndian((int)_unannouncedBytes);
        _unannouncedBytes = 0;
        var frames = new List<byte>(2 * (FrameHeaderBytes + 4));
        AppendFrame(frames, WindowUpdate, 0, 0, increment);
        AppendFrame(frames, WindowUpdate, 0, StreamId, increment);
        await SendFramesAsync(frames.ToArray(), cancellationToken);
    }

    private async ValueTask WriteFrameAsync(byte type, byte flags, int streamId, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new List<byte>(FrameHeaderBytes + payload.Length);
        AppendFrame(frame, type, flags, streamId, payload);
        await SendFramesAsync(frame.ToArray(), cancellationToken);
    }

    private async ValueTask SendFramesAsync(byte[] frames, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await _connection.WriteAsync(frames, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    // A small frame goes out in one send; a large one as its header and then its payload, so the payload is not copied.
    private async ValueTask SendDataFrameAsync(byte flags, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        bool whole = payload.Length <= Http2SendWindows.InitialFrameBytes;
        byte[] frame = new byte[FrameHeaderBytes + (whole ? payload.Length : 0)];
        WriteFrameHeader(frame, payload.Length, Data, flags, StreamId);
        if (whole)
        {
            payload.Span.CopyTo(frame.AsSpan(FrameHeaderBytes));
        }
        await _writing.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await _connection.WriteAsync(frame, cancellationToken);
            if (!whole)
            {
                await _connection.WriteAsync(payload, cancellationToken);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    // The request body, copied from the content as its writer writes it, then the end of the stream. A failure here
    // reaches the body's writer through its own write and the reader through the response, so none is rethrown.
    private async Task WriteBodyAsync(HttpContent content)
    {
        try
        {
            await content.CopyToAsync(new RequestBody(this));
            await WriteDataAsync(ReadOnlyMemory<byte>.Empty, endStream: true, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or HttpRequestException)
        {
            // The call is over (cancelled, disposed or failed); the response side reports it.
        }
    }

    /// <summary>Writes <paramref name="data"/> as DATA frames as the server's windows and frame size allow.</summary>
    private async ValueTask WriteDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        do
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int length = await _windows.TakeAsync(data.Length, cancellationToken);
            bool last = endStream && length == data.Length;
            await SendDataFrameAsync(last ? EndStream : (byte)0, data[..length], cancellationToken);
            data = data[length..];
        }
        while (!data.IsEmpty);
    }

    private (int Length, byte Type, byte Flags, int StreamId) ReadFrameHeader()
    {
        var header = Http2Framing.ReadFrameHeader(_buffer.AsSpan(_start, FrameHeaderBytes));
        _start += FrameHeaderBytes;
        return header;
    }

    private static void ExpectStream(int streamId, string frame)
    {
        if (streamId != StreamId)
        {
            throw new InvalidDataException($"{frame} on stream {streamId} (this connection's request is stream {StreamId})");
        }
    }

    // Makes at least `count` bytes (at most the buffer's size) readable at _start.
    private async ValueTask FillAsync(int count, CancellationToken cancellationToken)
    {
        if (count > _buffer.Length)
        {
            throw new InvalidDataException($"a frame part of {count} bytes, more than this client buffers ({_buffer.Length})");
        }
        while (_end - _start < count)
        {
            await ReceiveAsync(count - (_end - _start), cancellationToken);
        }
    }

    // Receives what the socket has: at least one byte, at most `needed` + ReadAheadBytes.
    private async ValueTask ReceiveAsync(int needed, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        int wanted = Math.Min(needed + ReadAheadBytes, _buffer.Length);
        if (_buffer.Length - _end < wanted && _start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        int received = await _connection.ReadAsync(_buffer.AsMemory(_end, Math.Min(wanted, _buffer.Length - _end)), cancellationToken);
        if (received == 0)
        {
            throw new IOException(_response is null ? "The server closed the connection before answering" : "The server closed the connection before the stream ended");
        }
        _end += received;
    }

    private async ValueTask SkipAsync(int count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                await ReceiveAsync(0, cancellationToken);
            }
            int skipped = Math.Min(count, _end - _start);
            _start += skipped;
            count -= skipped;
        }
    }

    private static byte[] HeaderBlock(HttpRequestMessage request)
    {
        Uri address = request.RequestUri!;
        var block = new List<byte>();
        HPack.WriteLiteral(block, ":method", request.Method.Method);
        HPack.WriteLiteral(block, ":scheme", address.Scheme);
        HPack.WriteLiteral(block, ":authority", address.Authority);
        HPack.WriteLiteral(block, ":path", address.PathAndQuery);
        HPack.WriteLiteral(block, GrpcChannels.SoleRequestHeader, "1");
        IEnumerable<KeyValuePair<string, HeaderStringValues>> headers = request.Headers.NonValidated;
        if (request.Content is not null)
        {
            headers = headers.Concat(request.Content.Headers.NonValidated);
        }
        foreach ((string name, HeaderStringValues values) in headers)
        {
            if (!ConnectionHeaders.Contains(name))
            {
                HPack.WriteLiteral(block, name.ToLowerInvariant(), values.ToString());
            }
        }
        return [.. block];
    }

    private static void AppendSettings(List<byte> frames)
    {
        // Table size 0 (a reader without a table), push off, the stream window, the largest frames, the header limit.
        var settings = new List<byte>();
        foreach ((ushort id, int value) in new (ushort, int)[] { (0x1, 0), (0x2, 0), (0x4, WindowBytes), (0x5, Http2SendWindows.MaxFrameBytes), (0x6, MaxHeaderBlockBytes) })
        {
            settings.Add((byte)(id >> 8));
            settings.Add((byte)id);
            settings.AddRange(BigEndian(value));
        }
        AppendFrame(frames, Settings, 0, 0, [.. settings]);
    }

    private static void AppendFrame(List<byte> frames, byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[FrameHeaderBytes];
        WriteFrameHeader(header, payload.Length, type, flags, streamId);
        frames.AddRange(header);
        frames.AddRange(payload);
    }

    private static byte[] BigEndian(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>The request body as its writer sees it: each write goes out as DATA frames before it completes.</summary>
    private sealed class RequestBody(LeanHttp2Stream owner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
            source.IsEmpty ? ValueTask.CompletedTask : owner.WriteDataAsync(source, endStream: false, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
