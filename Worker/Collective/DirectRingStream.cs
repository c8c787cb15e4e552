using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Transport;
using DistributedTrainer.Transport.Internal;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Connections;
using static DistributedTrainer.Transport.Internal.Http2Framing;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// The sending end of one ring subscription served without Kestrel's HTTP/2: the next rank's lean client opened a
/// connection for this call alone (<see cref="GrpcChannels.SoleRequestHeader"/>), so the connection is this one
/// server-streaming call. Each piece leaves as DATA frames whose payload the socket sends straight from the ring's
/// vector; Kestrel would copy it twice (into the stream's pipe, then into the connection's), which was a fifth of a
/// ring peer's CPU at 3 and 4 ranks (docs/BENCHMARKS.md).
/// </summary>
/// <remarks>
/// <para>The wire is the same gRPC as Kestrel's: the response's headers, RingChunk messages, trailers with the status.
/// What the direct path does not read (a second stream, frames beyond what this client sends) resets the connection,
/// and the client's call fails as it would on any broken connection.</para>
/// <para>Writes are the ring's sends, one at a time, each frame once its window is granted, and this end's
/// acknowledgements, all under one lock; the reads
/// take the client's SETTINGS, PINGs and window updates and notice when it leaves (RST_STREAM, GOAWAY or the
/// connection closing), which ends the subscription as Kestrel's cancellation of the call would.</para>
/// </remarks>
internal sealed class DirectRingStream : IAsyncDisposable
{
    private const int GrpcPrefixBytes = 5;

    /// <summary>The largest frame this end reads: the HTTP/2 default, which it never raises.</summary>
    private const int MaxReadFrameBytes = 16 * 1024;

    /// <summary>The largest subscription request read (a job id and two ranks take a few dozen bytes).</summary>
    private const int MaxRequestBytes = 4 * 1024;

    /// <summary>The method this end serves, as spans name it; its request path is this after a '/'.</summary>
    private static readonly string SubscribeMethod = $"{Protos.V1.Collective.Descriptor.FullName}/Subscribe";

    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly int _streamId;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _receiverLeft = new();
    private readonly MemoryStream _request = new();
    private readonly TaskCompletionSource<RingSubscription> _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Http2SendWindows _windows;

    // A piece's frame header, gRPC prefix and fields; only the ring's send loop writes them.
    private byte[] _head = new byte[1024];
    private int _toRank = -1;

    private DirectRingStream(Socket socket, PipeReader input, int streamId)
    {
        _socket = socket;
        _input = input;
        _streamId = streamId;
        _windows = new Http2SendWindows(streamId);
    }

    /// <summary>What a connection's first bytes say of the subscription that starts it.</summary>
    /// <param name="Length">The bytes through the request's HEADERS frame.</param>
    /// <param name="StreamId">The call's HTTP/2 stream.</param>
    /// <param name="Authorization">The authorization header; null without one.</param>
    /// <param name="Caller">The caller's span from the request's trace context; default without one.</param>
    public sealed record SubscriptionStart(int Length, int StreamId, string? Authorization, ActivityContext Caller);

    /// <summary>
    /// The subscription's start when <paramref name="received"/>, a connection's first bytes, begin with the connection
    /// preface, frames and then a complete HEADERS frame of a sole-request call to trainer.v1.Collective/Subscribe;
    /// otherwise null, and the connection is Kestrel's.
    /// </summary>
    public static SubscriptionStart? SubscriptionIn(ReadOnlySpan<byte> received)
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
                    && SubscriptionHeaders(frames.Slice(FrameHeaderBytes, length)) is { } subscription
                    ? new SubscriptionStart(through, streamId, subscription.Authorization, subscription.Caller)
                    : null;
            }
            frames = frames[(FrameHeaderBytes + length)..];
        }
        return null;
    }

    /// <summary>
    /// Serves the subscription on <paramref name="socket"/> (written directly) and <paramref name="input"/> (the
    /// connection's received bytes after <paramref name="start"/>, the bytes <see cref="SubscriptionIn"/> accepted),
    /// until the sender closes it, the receiver leaves, the connection fails or <paramref name="connectionClosed"/>
    /// fires, or the server ends its calls (<see cref="CleartextConnectionContext.CallsEnding"/>): then with
    /// UNAVAILABLE, as <see cref="ServerStoppingInterceptor"/> ends the calls Kestrel serves.
    /// </summary>
    public static async Task ServeAsync(Socket socket, PipeReader input, ReadOnlyMemory<byte> start, SubscriptionStart subscription,
        CleartextConnectionContext server, CollectiveService service, CancellationToken connectionClosed)
    {
        await using var stream = new DirectRingStream(socket, input, subscription.StreamId);
        using var left = CancellationTokenSource.CreateLinkedTokenSource(stream._receiverLeft.Token, connectionClosed);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(left.Token, server.CallsEnding);
        Task reading = stream.ReadAsync(start, left.Token);
        Activity? span = null;
        try
        {
            await stream.SendFrameAsync(Settings, 0, 0, []);
            RingSubscription request = await stream._requested.Task.WaitAsync(ending.Token);
            // The span ASP.NET Core would have given the call on Kestrel.
            span = GrpcServerSpans.StartOutsideAspNetCore(SubscribeMethod, subscription.Caller, request.JobId);
            await stream.SendHeadersAsync(endStream: false, (":status", "200"), ("content-type", "application/grpc"));
            Status status;
            try
            {
                if (server.Tokens?.Refusal("/" + SubscribeMethod, subscription.Authorization) is { } refusal)
                {
                    throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
                }
                await service.ServeAsync(request, new RingSubscriber(stream.WriteAsync, request.ToRank), ending.Token);
                status = Status.DefaultSuccess;
            }
            catch (RpcException e)
            {
                status = e.Status;
            }
            catch (OperationCanceledException) when (server.CallsEnding.IsCancellationRequested && !left.IsCancellationRequested)
            {
                status = ServerStoppingInterceptor.Stopped;
            }
            if (!left.IsCancellationRequested)
            {
                await stream.SendHeadersAsync(endStream: true, ("grpc-status", ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture)),
                    // gRPC clients percent-decode grpc-message (PROTOCOL-HTTP2.md); escaping more than the spec asks is still decoded.
                    ("grpc-message", Uri.EscapeDataString(status.Detail)));
            }
            GrpcServerSpans.SetStatus(span, left.IsCancellationRequested ? StatusCode.Cancelled : status.StatusCode);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
        {
            // The receiver left or the connection broke: the ring's next send fails and names the receiver.
            GrpcServerSpans.SetStatus(span, StatusCode.Cancelled);
        }
        finally
        {
            span?.Dispose();
            await stream._receiverLeft.CancelAsync();
            await reading;
        }
    }

    public ValueTask DisposeAsync()
    {
        _receiverLeft.Dispose();
        _writing.Dispose();
        _request.Dispose();
        return ValueTask.CompletedTask;
    }

    private static (string? Authorization, ActivityContext Caller)? SubscriptionHeaders(ReadOnlySpan<byte> block)
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
        bool subscription = Field(":method") == "POST" && Field(":path") == "/" + SubscribeMethod
            && Field(GrpcChannels.SoleRequestHeader) is not null && (Field("content-type")?.StartsWith("application/grpc", StringComparison.Ordinal) ?? false);
        if (!subscription)
        {
            return null;
        }
        // The caller's span, as ASP.NET Core reads it, so that this end's span continues the caller's trace.
        ActivityContext.TryParse(Field("traceparent"), Field("tracestate"), isRemote: true, out ActivityContext caller);
        return (Field("authorization"), caller);
    }

    // One piece: the message's head (its prefix, fields and the payload's length) in the first frame's send, then the
    // payload from the ring's memory, in frames as large as the client's windows and frame size allow. The ring's send loop
    // is the only writer of DATA; each frame takes the write lock only once its window is granted, so the reads can
    // always answer the client (and so take its window updates) while a piece waits.
    private async Task WriteAsync(OutgoingRingChunk chunk, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> payload = chunk.Payload;
        try
        {
            _windows.ThrowIfClosed();
            if (_head.Length < FrameHeaderBytes + GrpcPrefixBytes + chunk.HeadSize)
            {
                _head = new byte[FrameHeaderBytes + GrpcPrefixBytes + chunk.HeadSize];
            }
            int fields = chunk.WriteHead(_head.AsSpan(FrameHeaderBytes + GrpcPrefixBytes));
            _head[FrameHeaderBytes] = 0;
            BinaryPrimitives.WriteInt32BigEndian(_head.AsSpan(FrameHeaderBytes + 1), fields + payload.Length);
            int headBytes = GrpcPrefixBytes + fields;
            int total = headBytes + payload.Length;
            int sent = 0;
            while (sent < total)
            {
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

    // The client's frames: first those that came with its request's headers, then whatever follows, until it leaves.
    private async Task ReadAsync(ReadOnlyMemory<byte> start, CancellationToken cancellationToken)
    {
        try
        {
            // The frames that came before and with the request's headers (SubscriptionIn's bytes end with them).
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
            Break(new IOException("the receiver ended the call or closed the connection"));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or ConnectionResetException)
        {
            Break(e);
        }
        finally
        {
            _requested.TrySetCanceled(CancellationToken.None);
            await _receiverLeft.CancelAsync();
        }
    }

    // Takes the first whole frame off `buffer`; false, with `buffer` as it was, when it holds none.
    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out (byte Type, byte Flags, int Stream, byte[] Payload) frame)
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
        frame = (type, flags, stream, buffer.Slice(FrameHeaderBytes, length).ToArray());
        buffer = buffer.Slice(FrameHeaderBytes + length);
        return true;
    }

    private async ValueTask<bool> OnFrameAsync(byte type, byte flags, int stream, byte[] payload)
    {
        switch (type)
        {
            case Settings when (flags & Ack) == 0:
                _windows.ApplySettings(payload);
                await SendFrameAsync(Settings, Ack, 0, []);
                return true;
            case Ping when (flags & Ack) == 0:
                await SendFrameAsync(Ping, Ack, 0, payload);
                return true;
            case WindowUpdate:
                _windows.Open(stream, BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue);
                return true;
            case Http2Framing.Data when stream == _streamId:
                OnRequestData(payload, endStream: (flags & EndStream) != 0);
                return true;
            case Headers when stream == _streamId:
                return true;
            case Headers or RstStream or GoAway:
                // A second stream, or the client ending this one or the connection: the subscription is over.
                return false;
            default:
                // Acknowledgements, PRIORITY and unknown frame types carry nothing for this end.
                return true;
        }
    }

    // The request message, bounded, and parsed once the client has ended its side of the stream.
    private void OnRequestData(byte[] payload, bool endStream)
    {
        if (_request.Length + payload.Length > GrpcPrefixBytes + MaxRequestBytes)
        {
            throw new InvalidDataException($"a subscription request over {MaxRequestBytes} bytes");
        }
        _request.Write(payload);
        if (!endStream)
        {
            return;
        }
        ReadOnlySpan<byte> message = _request.GetBuffer().AsSpan(0, (int)_request.Length);
        if (message.Length < GrpcPrefixBytes || message[0] != 0 || BinaryPrimitives.ReadInt32BigEndian(message[1..]) != message.Length - GrpcPrefixBytes)
        {
            throw new InvalidDataException("the subscription request is not one uncompressed gRPC message");
        }
        RingSubscription request;
        try
        {
            request = RingSubscription.Parser.ParseFrom(message[GrpcPrefixBytes..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException("the subscription request is not a RingSubscription", e);
        }
        _toRank = request.ToRank;
        _requested.TrySetResult(request);
    }

    // Every later send fails naming the receiver and the reason; a waiting one wakes to fail.
    private void Break(Exception e) => _windows.Close(new IOException($"the subscription of rank {_toRank} is over: {e.Message}", e));

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
