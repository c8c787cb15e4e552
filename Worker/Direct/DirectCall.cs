using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Transport;
using DistributedTrainer.Transport.Internal;
using Grpc.Core;
using Microsoft.AspNetCore.Connections;
using static DistributedTrainer.Transport.Internal.Http2Framing;

namespace DistributedTrainer.Worker.Direct;

/// <summary>
/// The server's end of one gRPC call that a lean client opened on a connection of its own
/// (<see cref="GrpcChannels.SoleRequestHeader"/>), served on the socket without Kestrel's HTTP/2: the connection is this
/// call. <see cref="ServeAsync"/> sends the response's headers, runs the method's handler, and ends with the trailers
/// that carry its status. The handler takes the request's messages from <see cref="ReadMessageAsync{T}"/> and writes
/// its responses with <see cref="WriteMessageAsync"/>, whose payload the socket sends from where it lies: Kestrel would
/// copy it twice (into the stream's pipe, then into the connection's), which was a fifth of a ring peer's CPU at 3 and 4
/// ranks (docs/BENCHMARKS.md).
/// </summary>
/// <remarks>
/// <para>The wire is the same gRPC as Kestrel's. What a direct call does not read (a second stream, padded frames, frames
/// larger than this end allows) resets the connection, and the client's call fails as it would on any broken
/// connection. Only the calls the lean client makes come here (<see cref="StartIn"/>); every other connection is
/// Kestrel's.</para>
/// <para>Writes are the handler's messages, one at a time, each frame once its window is granted, and this end's
/// acknowledgements and window updates, all under one lock. The reads take the client's SETTINGS, PINGs and window
/// updates, gather its DATA into messages, and notice when it leaves (RST_STREAM, GOAWAY or the connection closing),
/// which cancels the handler as Kestrel's cancellation of the call would.</para>
/// </remarks>
internal sealed class DirectCall : IAsyncDisposable
{
    private const int GrpcPrefixBytes = 5;

    /// <summary>
    /// The request's flow-control window, of the stream and of the connection: the client sends no more than this ahead
    /// of what the handler has taken, so the messages waiting here never hold more. Kestrel's (GrpcKestrel).
    /// </summary>
    private const int ReceiveWindowBytes = GrpcKestrel.StreamWindowSize;

    /// <summary>The largest frame this end reads, and tells the client it takes: Kestrel's (GrpcKestrel).</summary>
    private const int MaxReadFrameBytes = GrpcKestrel.MaxFrameSize;

    private const ushort InitialWindowSizeSetting = 0x4, MaxFrameSizeSetting = 0x5;

    /// <summary>
    /// How long the connection stays open after the trailers for the client to close it: a client still writing its
    /// request (a call that failed early) would otherwise have its writes fail on a closed connection before it reads the
    /// status. Kestrel keeps its connections too.
    /// </summary>
    private static readonly TimeSpan LingerAfterTrailers = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly int _streamId;
    private readonly int _maxMessageBytes;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _clientLeft = new();
    private readonly Http2SendWindows _windows;
    private readonly Channel<(byte[] Bytes, int Length)> _messages =
        Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    // The request message being gathered from DATA frames: its gRPC prefix, then its bytes; only the reads touch them.
    private readonly byte[] _prefix = new byte[GrpcPrefixBytes];
    private int _prefixFilled;
    private byte[]? _message;
    private int _messageLength;
    private int _messageFilled;
    private bool _requestEnded;

    // Set once the trailers are out: the request's DATA from then on is dropped, its window given back at once.
    private volatile bool _responseEnded;

    // DATA bytes received and not yet taken by the handler (the reads add, the handler takes away), and those taken but
    // not yet given back to the client in a WINDOW_UPDATE (the handler's alone).
    private long _unconsumedBytes;
    private int _unannouncedBytes;

    // A response message's frame header, gRPC prefix and fields; only the handler's writes touch it.
    private byte[] _head = new byte[1024];

    // The server's span of the call, as ASP.NET Core would start it; null when nobody listens.
    private Activity? _span;

    private DirectCall(Socket socket, PipeReader input, int streamId, int maxMessageBytes)
    {
        _socket = socket;
        _input = input;
        _streamId = streamId;
        _maxMessageBytes = maxMessageBytes;
        _windows = new Http2SendWindows(streamId);
    }

    /// <summary>What a connection's first bytes say of the call that starts it.</summary>
    /// <param name="Length">The bytes through the request's HEADERS frame.</param>
    /// <param name="StreamId">The call's HTTP/2 stream.</param>
    /// <param name="Path">The request's path: "/" and the method's full name.</param>
    /// <param name="Authorization">The authorization header; null without one.</param>
    /// <param name="Caller">The caller's span from the request's trace context; default without one.</param>
    public sealed record Start(int Length, int StreamId, string Path, string? Authorization, ActivityContext Caller);

    /// <summary>How a method is served here.</summary>
    /// <param name="Path">The method's request path: "/" and its full name.</param>
    /// <param name="MaxRequestBytes">The largest request message the method takes; a larger one ends the call with RESOURCE_EXHAUSTED.</param>
    /// <param name="Handler">Serves the call until its status is OK, or throws the status (an <see cref="RpcException"/>);
    /// its token fires when the client leaves or the server ends its calls.</param>
    public sealed record Method(string Path, int MaxRequestBytes, Func<DirectCall, CancellationToken, Task> Handler);

    /// <summary>Who the call serves, as failures name it once the handler knows (e.g. "the subscription of rank 2").</summary>
    public string Name { get; set; } = "the call";

    /// <summary>
    /// The call's start when <paramref name="received"/>, a connection's first bytes, begin with the connection preface,
    /// frames and then a complete HEADERS frame of a sole-request gRPC call that a direct call can serve (no deadline, no
    /// compression); otherwise null, and the connection is Kestrel's.
    /// </summary>
    public static Start? StartIn(ReadOnlySpan<byte> received)
    {
        if (!received.StartsWith(Preface))
        {
            return null;
        }
        ReadOnlySpan<byte> frames = received[Preface.Length..];
        while (frames.Length >= FrameHeaderBytes)
        {
            var (length, type, flags, streamId) = ReadFrameHeader(frames);
            if (frames.Length < FrameHeaderBytes + length)
            {
                return null;
            }
            if (type == Headers)
            {
                // Padding, priority or a CONTINUATION: not the sole-request client, which sends none.
                int through = received.Length - frames.Length + FrameHeaderBytes + length;
                return (flags & ~(EndHeaders | EndStream)) == 0 && (flags & EndHeaders) != 0
                    && CallHeaders(frames.Slice(FrameHeaderBytes, length)) is { } call
                    ? new Start(through, streamId, call.Path, call.Authorization, call.Caller)
                    : null;
            }
            frames = frames[(FrameHeaderBytes + length)..];
        }
        return null;
    }

    /// <summary>
    /// Serves the call <paramref name="call"/> on <paramref name="socket"/> (written directly) and <paramref name="input"/>
    /// (the connection's received bytes after <paramref name="start"/>, the bytes <see cref="StartIn"/> accepted) with
    /// <paramref name="method"/>, until its handler returns or fails, the client leaves, the connection fails or
    /// <paramref name="connectionClosed"/> fires. A handler that fails once the server has begun to stop ends the call
    /// with UNAVAILABLE, as <see cref="ServerStoppingInterceptor"/> ends the calls Kestrel serves.
    /// </summary>
    public static async Task ServeAsync(Socket socket, PipeReader input, ReadOnlyMemory<byte> start, Start call, Method method,
        CleartextConnectionContext server, CancellationToken connectionClosed)
    {
        await using var direct = new DirectCall(socket, input, call.StreamId, method.MaxRequestBytes);
        using var left = CancellationTokenSource.CreateLinkedTokenSource(direct._clientLeft.Token, connectionClosed);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(left.Token, server.CallsEnding);
        Task reading = direct.ReadAsync(start, left.Token);
        // The span ASP.NET Core would have given the call on Kestrel.
        direct._span = GrpcServerSpans.StartOutsideAspNetCore(call.Path.TrimStart('/'), call.Caller);
        try
        {
            await direct.SendSettingsAsync();
            await direct.SendHeadersAsync(endStream: false, (":status", "200"), ("content-type", "application/grpc"));
            Status status;
            Metadata? trailers = null;
            ExceptionDispatchInfo? bug = null;
            try
            {
                if (server.Tokens?.Refusal(call.Path, call.Authorization) is { } refusal)
                {
                    throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
                }
                await method.Handler(direct, ending.Token);
                status = Status.DefaultSuccess;
            }
            catch (Exception e) when (ServerStoppingInterceptor.IsStop(server.Stopping, e) && !left.IsCancellationRequested)
            {
                status = ServerStoppingInterceptor.Stopped;
            }
            catch (RpcException e)
            {
                (status, trailers) = (e.Status, e.Trailers);
            }
            catch (Exception e) when (!IsConnectionFailure(e))
            {
                // A handler's bug: the client gets what grpc-dotnet sends for one, and Kestrel logs it once it is rethrown.
                (status, bug) = (new Status(StatusCode.Unknown, "Exception was thrown by handler."), ExceptionDispatchInfo.Capture(e));
            }
            // The status the trailers carry is the call's, even if the client leaves as soon as it has read them.
            bool clientLeft = left.IsCancellationRequested;
            if (!clientLeft)
            {
                await direct.SendTrailersAsync(status, trailers);
            }
            GrpcServerSpans.SetStatus(direct._span, clientLeft ? StatusCode.Cancelled : status.StatusCode);
            direct._responseEnded = true;
            await LingerAsync(reading, server.CallsEnding);
            bug?.Throw();
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // The client left or the connection broke: a handler's next write fails and names the call.
            GrpcServerSpans.SetStatus(direct._span, StatusCode.Cancelled);
        }
        finally
        {
            direct._span?.Dispose();
            await direct._clientLeft.CancelAsync();
            await reading;
        }
    }

    // How a call ends when its client leaves or its connection breaks (the handler's reads and writes fail with these).
    private static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException;

    // Until the client closes the connection, for a while at most, or until the server ends its calls.
    private static async Task LingerAsync(Task reading, CancellationToken callsEnding)
    {
        try
        {
            await reading.WaitAsync(LingerAfterTrailers, callsEnding);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // The connection closes now.
        }
    }

    /// <summary>
    /// The next request message, handed to <paramref name="parse"/> while its bytes are valid; (false, default) once the
    /// client has ended its side of the stream.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED: a message over the method's limit; INTERNAL: a compressed
    /// message, or the stream ended inside one.</exception>
    /// <exception cref="IOException">The client left, or the connection broke.</exception>
    public async ValueTask<(bool Read, T Message)> ReadMessageAsync<T>(Func<ReadOnlySequence<byte>, T> parse, CancellationToken cancellationToken)
    {
        if (!await _messages.Reader.WaitToReadAsync(cancellationToken) || !_messages.Reader.TryRead(out var message))
        {
            return (false, default!);
        }
        try
        {
            return (true, parse(new ReadOnlySequence<byte>(message.Bytes, 0, message.Length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message.Bytes);
            await GiveBackWindowAsync(GrpcPrefixBytes + message.Length);
        }
    }

    /// <summary>
    /// Room for the fields of the next response message, at least <paramref name="maxBytes"/> long: the handler writes
    /// them here, then calls <see cref="WriteMessageAsync"/>.
    /// </summary>
    public Span<byte> MessageHead(int maxBytes)
    {
        if (_head.Length < FrameHeaderBytes + GrpcPrefixBytes + maxBytes)
        {
            _head = new byte[FrameHeaderBytes + GrpcPrefixBytes + maxBytes];
        }
        return _head.AsSpan(FrameHeaderBytes + GrpcPrefixBytes);
    }

    /// <summary>
    /// Writes one response message: the <paramref name="fieldBytes"/> bytes written into <see cref="MessageHead"/>, then
    /// <paramref name="payload"/>, sent from its memory (only read until this returns), in frames as large as the client's
    /// windows and frame size allow. One write at a time.
    /// </summary>
    /// <exception cref="IOException">The client left, or the connection broke (the message naming <see cref="Name"/>).</exception>
    public async Task WriteMessageAsync(int fieldBytes, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        try
        {
            _windows.ThrowIfClosed();
            _head[FrameHeaderBytes] = 0;
            BinaryPrimitives.WriteInt32BigEndian(_head.AsSpan(FrameHeaderBytes + 1), fieldBytes + payload.Length);
            int headBytes = GrpcPrefixBytes + fieldBytes;
            int total = headBytes + payload.Length;
            int sent = 0;
            while (sent < total)
            {
                // Each frame takes the write lock only once its window is granted, so that the reads can always answer
                // the client (and so take its window updates) while a message waits.
                int frame = await _windows.TakeAsync(total - sent, cancellationToken);
                int headPart = Math.Clamp(headBytes - sent, 0, frame);
                // The head starts at FrameHeaderBytes, so a frame's header written just before the head's unsent bytes
                // (at `sent`) covers only bytes sent already.
                int headerAt = Math.Min(sent, headBytes);
                WriteFrameHeader(_head.AsSpan(headerAt), frame, Http2Framing.Data, 0, _streamId);
                await _writing.WaitAsync(cancellationToken);
                try
                {
                    await SendAsync(_head.AsMemory(headerAt, FrameHeaderBytes + headPart), cancellationToken);
                    if (frame > headPart)
                    {
                        await SendAsync(payload.Slice(sent + headPart - headBytes, frame - headPart), cancellationToken);
                    }
                }
                finally
                {
                    _writing.Release();
                }
                sent += frame;
            }
        }
        catch (OperationCanceledException e)
        {
            // A message may be half sent: nothing more can go on this connection.
            Break(new IOException("a send was cancelled part of the way", e));
            throw;
        }
        catch (SocketException e)
        {
            Break(e);
            _windows.ThrowIfClosed();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _clientLeft.Dispose();
        _writing.Dispose();
        if (_message is not null)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }
        while (_messages.Reader.TryRead(out var message))
        {
            ArrayPool<byte>.Shared.Return(message.Bytes);
        }
        return ValueTask.CompletedTask;
    }

    private static (string Path, string? Authorization, ActivityContext Caller)? CallHeaders(ReadOnlySpan<byte> block)
    {
        List<KeyValuePair<string, string>> fields;
        try
        {
            fields = HPack.Read(block);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        string? Field(string name) => fields.FirstOrDefault(field => field.Key == name).Value;
        // A deadline or a compressed request is Kestrel's to serve: the lean client sends neither.
        bool direct = Field(":method") == "POST" && Field(":path") is ['/', ..]
            && Field(GrpcChannels.SoleRequestHeader) is not null && (Field("content-type")?.StartsWith("application/grpc", StringComparison.Ordinal) ?? false)
            && Field("grpc-timeout") is null && Field("grpc-encoding") is null or "identity";
        if (!direct)
        {
            return null;
        }
        // The caller's span, as ASP.NET Core reads it, so that this end's span continues the caller's trace.
        ActivityContext.TryParse(Field("traceparent"), Field("tracestate"), isRemote: true, out ActivityContext caller);
        return (Field(":path")!, Field("authorization"), caller);
    }

    // The client's frames: first those that came with its request's headers, then whatever follows, until it leaves.
    private async Task ReadAsync(ReadOnlyMemory<byte> start, CancellationToken cancellationToken)
    {
        try
        {
            // The frames that came before and with the request's headers (StartIn's bytes end with them).
            ReadOnlySequence<byte> first = new(start[Preface.Length..]);
            bool going = true;
            while (going && TryReadFrame(ref first, out var frame))
            {
                going = await OnFrameAsync(frame.Type, frame.Flags, frame.Stream, frame.Payload);
            }
            while (going)
            {
                ReadResult result = await _input.ReadAsync(cancellationToken);
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (going && TryReadFrame(ref buffer, out var frame))
                {
                    going = await OnFrameAsync(frame.Type, frame.Flags, frame.Stream, frame.Payload);
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                going &= !result.IsCompleted && !result.IsCanceled;
            }
            Break(new IOException("the client ended the call or closed the connection"));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or ConnectionResetException)
        {
            Break(e);
        }
        finally
        {
            await _clientLeft.CancelAsync();
        }
    }

    // Takes the first whole frame off `buffer` (its payload a slice of it, valid until the buffer is advanced past); false,
    // with `buffer` as it was, when it holds none.
    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out (byte Type, byte Flags, int Stream, ReadOnlySequence<byte> Payload) frame)
    {
        frame = default;
        Span<byte> header = stackalloc byte[FrameHeaderBytes];
        if (!new SequenceReader<byte>(buffer).TryCopyTo(header))
        {
            return false;
        }
        var (length, type, flags, stream) = ReadFrameHeader(header);
        if (length > MaxReadFrameBytes)
        {
            throw new InvalidDataException($"a frame of {length} bytes (this end reads at most {MaxReadFrameBytes})");
        }
        if (buffer.Length < FrameHeaderBytes + length)
        {
            return false;
        }
        frame = (type, flags, stream, buffer.Slice(FrameHeaderBytes, length));
        buffer = buffer.Slice(FrameHeaderBytes + length);
        return true;
    }

    private async ValueTask<bool> OnFrameAsync(byte type, byte flags, int stream, ReadOnlySequence<byte> payload)
    {
        switch (type)
        {
            case Settings when (flags & Ack) == 0:
                _windows.ApplySettings(payload.ToArray());
                await SendFrameAsync(Settings, Ack, 0, []);
                return true;
            case Ping when (flags & Ack) == 0:
                await SendFrameAsync(Ping, Ack, 0, payload.ToArray());
                return true;
            case WindowUpdate:
                Span<byte> increment = stackalloc byte[4];
                payload.Slice(0, 4).CopyTo(increment);
                _windows.Open(stream, BinaryPrimitives.ReadInt32BigEndian(increment) & int.MaxValue);
                return true;
            case Http2Framing.Data when stream == _streamId && _responseEnded:
                if (payload.Length > 0)
                {
                    await SendWindowUpdatesAsync((int)payload.Length);
                }
                return true;
            case Http2Framing.Data when stream == _streamId:
                OnRequestData(payload, flags);
                return true;
            case Headers when stream == _streamId:
                // Trailers of the request (gRPC clients send none, but may end their side with them).
                if ((flags & EndStream) != 0)
                {
                    OnRequestData(ReadOnlySequence<byte>.Empty, EndStream);
                }
                return true;
            case Headers or RstStream or GoAway:
                // A second stream, or the client ending this one or the connection: the call is over.
                return false;
            default:
                // Acknowledgements, PRIORITY and unknown frame types carry nothing for this end.
                return true;
        }
    }

    // Gathers DATA into request messages, each complete one queued for the handler; a message over the method's limit,
    // a compressed one or a stream ended inside one fails the handler's next read with the status Kestrel's gRPC gives.
    private void OnRequestData(ReadOnlySequence<byte> payload, byte flags)
    {
        if ((flags & Padded) != 0)
        {
            throw new InvalidDataException("a padded DATA frame (the lean client sends none)");
        }
        if (Interlocked.Add(ref _unconsumedBytes, payload.Length) > ReceiveWindowBytes)
        {
            throw new InvalidDataException($"the client sent more than the {ReceiveWindowBytes}-byte window allows");
        }
        if (_requestEnded)
        {
            // After a failed message nothing more is read; the handler's next read fails with the status.
            return;
        }
        while (!payload.IsEmpty)
        {
            if (_message is null)
            {
                int prefixPart = (int)Math.Min(GrpcPrefixBytes - _prefixFilled, payload.Length);
                payload.Slice(0, prefixPart).CopyTo(_prefix.AsSpan(_prefixFilled));
                payload = payload.Slice(prefixPart);
                _prefixFilled += prefixPart;
                if (_prefixFilled < GrpcPrefixBytes)
                {
                    break;
                }
                uint length = BinaryPrimitives.ReadUInt32BigEndian(_prefix.AsSpan(1));
                if (_prefix[0] != 0)
                {
                    FailRequests(new RpcException(new Status(StatusCode.Internal, "Request message is compressed, and the call named no grpc-encoding")));
                    return;
                }
                if (length > _maxMessageBytes)
                {
                    FailRequests(new RpcException(new Status(StatusCode.ResourceExhausted,
                        $"Received message of {length} bytes exceeds the maximum of {_maxMessageBytes}")));
                    return;
                }
                (_message, _messageLength, _messageFilled) = (ArrayPool<byte>.Shared.Rent((int)length), (int)length, 0);
            }
            int part = (int)Math.Min(_messageLength - _messageFilled, payload.Length);
            payload.Slice(0, part).CopyTo(_message.AsSpan(_messageFilled));
            payload = payload.Slice(part);
            _messageFilled += part;
            if (_messageFilled == _messageLength)
            {
                _messages.Writer.TryWrite((_message, _messageLength));
                (_message, _prefixFilled) = (null, 0);
            }
        }
        if ((flags & EndStream) != 0)
        {
            if (_message is not null || _prefixFilled != 0)
            {
                FailRequests(new RpcException(new Status(StatusCode.Internal, "The request stream ended inside a message")));
                return;
            }
            _requestEnded = true;
            _messages.Writer.TryComplete();
        }
    }

    // The reads' own: what the handler reads after the messages queued so far is this failure.
    private void FailRequests(Exception reason)
    {
        if (_message is not null)
        {
            ArrayPool<byte>.Shared.Return(_message);
            _message = null;
        }
        _requestEnded = true;
        _messages.Writer.TryComplete(reason);
    }

    // Lets the client send what the handler has taken, once half a window has been taken (as the lean client does).
    private async ValueTask GiveBackWindowAsync(int bytes)
    {
        Interlocked.Add(ref _unconsumedBytes, -bytes);
        _unannouncedBytes += bytes;
        if (_unannouncedBytes < ReceiveWindowBytes / 2)
        {
            return;
        }
        int increment = _unannouncedBytes;
        _unannouncedBytes = 0;
        await SendWindowUpdatesAsync(increment);
    }

    // Lets the client send `bytes` more on the connection and on the stream.
    private async Task SendWindowUpdatesAsync(int bytes)
    {
        byte[] increment = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(increment, bytes);
        await SendFrameAsync(WindowUpdate, 0, 0, increment);
        await SendFrameAsync(WindowUpdate, 0, _streamId, increment);
    }

    // Every later write fails naming the call and the reason; a waiting one wakes to fail. The handler's next read fails too.
    private void Break(Exception e)
    {
        var broken = new IOException($"{Name} is over: {e.Message}", e);
        _windows.Close(broken);
        _messages.Writer.TryComplete(broken);
    }

    // This end's SETTINGS (the request's window and the largest frame it reads), and the connection's window to match.
    private async Task SendSettingsAsync()
    {
        byte[] settings = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(settings, InitialWindowSizeSetting);
        BinaryPrimitives.WriteInt32BigEndian(settings.AsSpan(2), ReceiveWindowBytes);
        BinaryPrimitives.WriteUInt16BigEndian(settings.AsSpan(6), MaxFrameSizeSetting);
        BinaryPrimitives.WriteInt32BigEndian(settings.AsSpan(8), MaxReadFrameBytes);
        await SendFrameAsync(Settings, 0, 0, settings);
        byte[] increment = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(increment, ReceiveWindowBytes - Http2SendWindows.InitialWindowBytes);
        await SendFrameAsync(WindowUpdate, 0, 0, increment);
    }

    private Task SendTrailersAsync(Status status, Metadata? trailers)
    {
        var fields = new List<(string, string)>
        {
            ("grpc-status", ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture)),
            // gRPC clients percent-decode grpc-message (PROTOCOL-HTTP2.md); escaping more than the spec asks is still decoded.
            ("grpc-message", Uri.EscapeDataString(status.Detail)),
        };
        foreach (Metadata.Entry entry in trailers ?? [])
        {
            fields.Add((entry.Key, entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value));
        }
        return SendHeadersAsync(endStream: true, [.. fields]);
    }

    private async Task SendHeadersAsync(bool endStream, params (string Name, string Value)[] fields)
    {
        var block = new List<byte>();
        foreach ((string name, string value) in fields)
        {
            HPack.WriteLiteral(block, name, value);
        }
        await SendFrameAsync(Headers, (byte)(EndHeaders | (endStream ? EndStream : 0)), _streamId, [.. block]);
    }

    private async Task SendFrameAsync(byte type, byte flags, int stream, byte[] payload)
    {
        byte[] frame = new byte[FrameHeaderBytes + payload.Length];
        WriteFrameHeader(frame, payload.Length, type, flags, stream);
        payload.CopyTo(frame, FrameHeaderBytes);
        await _writing.WaitAsync();
        try
        {
            await SendAsync(frame, CancellationToken.None);
        }
        finally
        {
            _writing.Release();
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }
}
