using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>
/// One client call of any kind: the HTTP/2 request, the response stream, the deadline and cancellation, and
/// the status the call ends with. Every failure becomes one <see cref="CallStatus"/>, set once.
/// </summary>
internal sealed class ClientCall<TRequest, TResponse> : IAsyncStreamReader<TResponse>, IClientStreamWriter<TRequest>, IDisposable
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    // CancellationTokenSource timers take at most uint.MaxValue - 1 ms; longer deadlines need no timer.
    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(49);

    private static readonly StreamPipeReaderOptions ResponseReaderOptions = new(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024);

    private readonly RpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource? _deadlineCts;
    private readonly CancellationTokenSource _callCts;
    private readonly CancellationToken _token;
    private readonly TaskCompletionSource<CallStatus> _status = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private CancellationTokenRegistration _abortRegistration;
    private StreamingRequestContent? _requestContent;
    private PipeWriter? _requestWriter;
    private Task<HttpResponseMessage>? _send;
    private Task<bool>? _responseReady;
    private HttpResponseMessage? _response;
    private PipeReader? _responseBody;
    private string? _responseEncoding;
    private Metadata? _responseHeaders;
    private Activity? _activity;
    private TResponse? _current;
    // Raw responses (RpcChannel.DuplexStreamingRaw): the current message's bytes stay in the pipe until the next read.
    private readonly bool _rawResponses;
    private ReadOnlySequence<byte> _rawCurrent;
    private SequencePosition? _rawConsumed;
    private bool _hasRawCurrent;
    private int _reading;
    private int _writing;
    private bool _requestCompleted;

    /// <param name="channel">The channel the call runs on.</param>
    /// <param name="method">The method called.</param>
    /// <param name="options">Deadline, metadata and cancellation.</param>
    /// <param name="rawResponses">Responses are read with <see cref="MoveNextRaw"/> as their serialized bytes, not parsed.</param>
    public ClientCall(RpcChannel channel, Method<TRequest, TResponse> method, CallOptions options, bool rawResponses = false)
    {
        _channel = channel;
        _method = method;
        _options = options;
        _rawResponses = rawResponses;
        if (options.Deadline is { } deadline)
        {
            TimeSpan remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining < MaxTimer)
            {
                _deadlineCts = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }
        }

        _callCts = (_deadlineCts, options.CancellationToken.CanBeCanceled) switch
        {
            (null, false) => new CancellationTokenSource(),
            (null, true) => CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken),
            (_, false) => CancellationTokenSource.CreateLinkedTokenSource(_deadlineCts.Token),
            (_, true) => CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, _deadlineCts.Token),
        };
        _token = _callCts.Token;
    }

    public TResponse Current => _current ?? throw new InvalidOperationException("No message was read yet");

    /// <summary>The serialized bytes of the message the last <see cref="MoveNextRaw"/> reached; valid until the next read.</summary>
    public ReadOnlySequence<byte> RawCurrent => _hasRawCurrent ? _rawCurrent : throw new InvalidOperationException("No message was read yet");

    /// <summary>Sends the request headers, and the single request of a unary or server-streaming call.</summary>
    public void Start(TRequest? request)
    {
        if (_token.IsCancellationRequested)
        {
            SetStatus(CancelledStatus());
            return;
        }

        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        HttpRequestHeaders headers = message.Headers;
        _activity = RpcActivity.StartClient(_method.Descriptor, _method.FullName, _channel.Address, headers);
        headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, GrpcProtocol.TeTrailers);
        headers.TryAddWithoutValidation("user-agent", GrpcProtocol.UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.AcceptEncodingValue);
        if (_channel.Options.CompressRequests)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, GrpcProtocol.Gzip);
        }

        if (_options.Deadline is { } deadline)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(deadline.ToUniversalTime() - DateTime.UtcNow));
        }

        if (_options.Headers is { } metadata)
        {
            HeaderMetadata.AddTo(headers, metadata);
        }

        if (request is null)
        {
            _requestContent = new StreamingRequestContent();
            message.Content = _requestContent;
        }
        else
        {
            var frame = new ArrayBufferWriter<byte>();
            MessageWriter.Write(frame, request, _channel.Options.MaxSendMessageSize, _channel.Options.CompressRequests);
            message.Content = new ReadOnlyMemoryContent(frame.WrittenMemory);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
        }

        _abortRegistration = _token.Register(Abort);
        _send = _channel.Invoker.SendAsync(message, _token);
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) == 1)
        {
            throw new InvalidOperationException("A read is already in progress; await each MoveNext before the next");
        }

        try
        {
            using CancellationTokenRegistration registration = cancellationToken.Register(Cancel);
            TResponse? message = await ReadNextAsync();
            if (message is null)
            {
                return false;
            }

            _current = message;
            return true;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Releases the previous raw message and reads the next one into <see cref="RawCurrent"/>.</summary>
    public async Task<bool> MoveNextRaw(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) == 1)
        {
            throw new InvalidOperationException("A read is already in progress; await each MoveNext before the next");
        }

        try
        {
            _hasRawCurrent = false;
            _rawCurrent = default;
            if (_rawConsumed is { } consumed)
            {
                _rawConsumed = null;
                _responseBody!.AdvanceTo(consumed);
            }

            using CancellationTokenRegistration registration = cancellationToken.Register(Cancel);
            RawMessage message = await ReadNextRawAsync();
            if (message.IsEnd)
            {
                return false;
            }

            _rawCurrent = message.Payload;
            _rawConsumed = message.Consumed;
            _hasRawCurrent = true;
            return true;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Reads the one response of a unary or client-streaming call, and its OK status.</summary>
    public async Task<TResponse> ReadSingleResponseAsync()
    {
        if (!await MoveNext())
        {
            throw new RpcException(StatusCode.Internal, "Server ended the call with OK but sent no response message");
        }

        TResponse response = Current;
        if (await MoveNext())
        {
            Cancel();
            throw new RpcException(StatusCode.Internal, "Server sent more than one response message");
        }

        return response;
    }

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_requestContent is null)
        {
            throw new InvalidOperationException($"{_method.FullName} is {_method.Type}: it has no request stream");
        }

        if (Interlocked.Exchange(ref _writing, 1) == 1)
        {
            throw new InvalidOperationException("A write is already in progress; await each WriteAsync before the next");
        }

        try
        {
            if (_requestCompleted)
            {
                throw new InvalidOperationException("The request stream was already completed");
            }

            using CancellationTokenRegistration registration = cancellationToken.Register(Cancel);
            PipeWriter writer = await GetRequestWriterAsync();
            MessageWriter.Write(writer, message, _channel.Options.MaxSendMessageSize, _channel.Options.CompressRequests);
            try
            {
                await writer.FlushAsync(_token);
            }
            catch (Exception e) when (e is not RpcException)
            {
                throw (await StatusAfterWriteFailureAsync(e)).ToException();
            }
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    public Task CompleteAsync()
    {
        if (Volatile.Read(ref _writing) == 1)
        {
            throw new InvalidOperationException("A write is in progress; await it before completing the request stream");
        }

        _requestCompleted = true;
        _requestContent?.Complete();
        return Task.CompletedTask;
    }

    /// <summary>The response headers; for a call that failed before any, the failure.</summary>
    public async Task<Metadata> GetResponseHeadersAsync()
    {
        await EnsureResponseAsync();
        return _responseHeaders ?? throw (await _status.Task).ToException();
    }

    /// <summary>The trailing metadata, once the call has ended.</summary>
    public Metadata GetTrailers() =>
        _status.Task.IsCompleted ? _status.Task.Result.Trailers : throw new InvalidOperationException("The call has not ended yet: read the response stream to its end first");

    /// <summary>Cancels the call if it has not ended.</summary>
    public void Cancel()
    {
        if (!_status.Task.IsCompleted)
        {
            try
            {
                _callCts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently: the call is over either way.
            }
        }
    }

    public void Dispose()
    {
        Cancel();
        SetStatus(CallStatus.Of(StatusCode.Cancelled, "Call disposed"));
        _abortRegistration.Dispose();
        _response?.Dispose();
        _requestContent?.Dispose();
        _callCts.Dispose();
        _deadlineCts?.Dispose();
    }

    private async ValueTask<TResponse?> ReadNextAsync()
    {
        RawMessage message = await ReadNextRawAsync();
        if (message.IsEnd)
        {
            return null;
        }

        try
        {
            return MessageReader.Parse(_method.ResponseParser, message.Payload);
        }
        catch (RpcException e)
        {
            // A message this side cannot accept ends the call here; the reset tells the server.
            SetStatus(CallStatus.Of(e));
            Cancel();
            throw;
        }
        finally
        {
            if (message.Consumed is { } consumed)
            {
                _responseBody!.AdvanceTo(consumed);
            }
        }
    }

    private static void ThrowUnlessOk(CallStatus status)
    {
        if (status.Code != StatusCode.OK)
        {
            throw status.ToException();
        }
    }

    /// <summary>
    /// The next response message, its bytes left in the pipe (the caller advances past <see cref="RawMessage.Consumed"/>),
    /// or <see cref="RawMessage.End"/> once the call ended with OK; any other ending is thrown.
    /// </summary>
    private async ValueTask<RawMessage> ReadNextRawAsync()
    {
        if (_status.Task.IsCompleted || !await EnsureResponseAsync())
        {
            ThrowUnlessOk(await _status.Task);
            return RawMessage.End;
        }

        RawMessage message;
        try
        {
            message = await MessageReader.ReadRawAsync(_responseBody!, _channel.Options.MaxReceiveMessageSize, _responseEncoding, _token);
        }
        catch (RpcException e)
        {
            // A message this side cannot accept ends the call here; the reset tells the server.
            SetStatus(CallStatus.Of(e));
            Cancel();
            throw;
        }
        catch (Exception e)
        {
            SetStatus(_token.IsCancellationRequested ? CancelledStatus() : StatusMapping.FromTransportException(e, _channel.Address));
            throw (await _status.Task).ToException();
        }

        if (!message.IsEnd)
        {
            return message;
        }

        SetStatus(StatusFromTrailers(_response!.TrailingHeaders));
        ThrowUnlessOk(await _status.Task);
        return RawMessage.End;
    }

    /// <summary>Waits for the response headers; false when the call already ended (failure or trailers-only).</summary>
    private Task<bool> EnsureResponseAsync()
    {
        lock (_gate)
        {
            return _responseReady ??= ReceiveResponseAsync();
        }
    }

    private async Task<bool> ReceiveResponseAsync()
    {
        if (_send is null)
        {
            return false;
        }

        HttpResponseMessage response;
        try
        {
            response = await _send;
        }
        catch (Exception e)
        {
            SetStatus(_token.IsCancellationRequested ? CancelledStatus() : StatusMapping.FromTransportException(e, _channel.Address));
            return false;
        }

        _response = response;
        _responseHeaders = HeaderMetadata.FromResponse(response.Headers);
        HttpResponseHeaders headers = response.Headers;
        if (headers.Contains(GrpcProtocol.StatusHeader))
        {
            // Trailers-only: the status is in the headers and there is no body.
            SetStatus(StatusFromTrailers(headers));
            return false;
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            SetStatus(CallStatus.Of(StatusMapping.FromHttpStatus(response.StatusCode), $"Bad gRPC response: HTTP status {(int)response.StatusCode}"));
            return false;
        }

        string? contentType = response.Content.Headers.ContentType?.MediaType;
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            SetStatus(CallStatus.Of(StatusCode.Internal, $"Bad gRPC response: content-type '{contentType}'"));
            return false;
        }

        _responseEncoding = headers.TryGetValues(GrpcProtocol.EncodingHeader, out IEnumerable<string>? encodings) ? encodings.FirstOrDefault() : null;
        if (!GrpcProtocol.IsSupportedEncoding(_responseEncoding))
        {
            SetStatus(CallStatus.Of(StatusCode.Internal, $"Bad gRPC response: unsupported grpc-encoding '{_responseEncoding}'"));
            Cancel();
            return false;
        }

        try
        {
            // 64 KiB segments: the 4 KiB default costs a stream read (and its lock on the HTTP/2 connection) per
            // 4 KiB of a large response message.
            _responseBody = PipeReader.Create(await response.Content.ReadAsStreamAsync(_token), ResponseReaderOptions);
        }
        catch (Exception e)
        {
            SetStatus(_token.IsCancellationRequested ? CancelledStatus() : StatusMapping.FromTransportException(e, _channel.Address));
            return false;
        }

        return true;
    }

    private async Task<PipeWriter> GetRequestWriterAsync()
    {
        if (_requestWriter is not null)
        {
            return _requestWriter;
        }

        Task<Stream> stream = _requestContent!.Stream;
        while (!stream.IsCompleted)
        {
            // The body opens right after the request headers are sent, unless the call ended first.
            if (_status.Task.IsCompleted || _send is null || (_send.IsCompleted && !await EnsureResponseAsync()))
            {
                CallStatus status = await _status.Task;
                throw status.Code == StatusCode.OK ? new InvalidOperationException("The call already ended") : status.ToException();
            }

            try
            {
                await Task.WhenAny(stream, _send.IsCompleted ? _status.Task : _send).WaitAsync(_token);
            }
            catch (OperationCanceledException)
            {
                SetStatus(CancelledStatus());
            }
        }

        _requestWriter = PipeWriter.Create(await stream, new StreamPipeWriterOptions(leaveOpen: true));
        return _requestWriter;
    }

    /// <summary>
    /// A write fails when the server ended the call (it resets the request stream after its status) or the
    /// connection broke; the server's status explains it better than the write exception.
    /// </summary>
    private async Task<CallStatus> StatusAfterWriteFailureAsync(Exception writeError)
    {
        if (_token.IsCancellationRequested)
        {
            SetStatus(CancelledStatus());
            return await _status.Task;
        }

        if (await EnsureResponseAsync() && Volatile.Read(ref _reading) == 0)
        {
            // Nobody is reading: drain the rest of the response to reach the status in its trailers.
            try
            {
                while (await (_rawResponses ? MoveNextRaw() : MoveNext()))
                {
                }
            }
            catch (RpcException)
            {
                // The status is recorded; it is returned below.
            }
            catch (InvalidOperationException)
            {
                // A reader started meanwhile; it records the status.
            }
        }

        Task<CallStatus> status = _status.Task;
        if (!status.IsCompleted)
        {
            await Task.WhenAny(status, Task.Delay(Timeout.Infinite, _token));
        }

        if (!status.IsCompleted)
        {
            SetStatus(_token.IsCancellationRequested ? CancelledStatus() : StatusMapping.FromTransportException(writeError, _channel.Address));
        }

        CallStatus final = await status;
        return final.Code == StatusCode.OK
            ? CallStatus.Of(StatusCode.Internal, "Server ended the call with OK before the request stream was complete")
            : final;
    }

    private CallStatus CancelledStatus() =>
        _deadlineCts?.IsCancellationRequested == true
            ? CallStatus.Of(StatusCode.DeadlineExceeded, "Deadline exceeded")
            : CallStatus.Of(StatusCode.Cancelled, "Call cancelled");

    private static CallStatus StatusFromTrailers(HttpHeaders trailers)
    {
        Metadata metadata = HeaderMetadata.FromResponse(trailers);
        if (!trailers.TryGetValues(GrpcProtocol.StatusHeader, out IEnumerable<string>? statuses))
        {
            return new CallStatus(StatusCode.Internal, "Bad gRPC response: no grpc-status in the trailers", metadata);
        }

        string? message = trailers.TryGetValues(GrpcProtocol.MessageHeader, out IEnumerable<string>? messages) ? messages.FirstOrDefault() : null;
        string detail = message is null ? string.Empty : PercentEncoding.Decode(message);
        return int.TryParse(statuses.FirstOrDefault(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int code)
            ? new CallStatus((StatusCode)code, detail, metadata)
            : new CallStatus(StatusCode.Unknown, $"Bad gRPC response: grpc-status '{statuses.FirstOrDefault()}'", metadata);
    }

    private void SetStatus(CallStatus status)
    {
        if (!_status.TrySetResult(status))
        {
            return;
        }

        // The status is set once, when the call ends for the caller: that ends the span that covers the call.
        RpcActivity.Stop(_activity, status.Code, status.Detail, server: false);
        if (status.Code != StatusCode.OK)
        {
            _requestContent?.Abort();
        }
    }

    /// <summary>Runs when the call's token fires (cancel, deadline, dispose): resets the HTTP/2 stream.</summary>
    private void Abort()
    {
        SetStatus(CancelledStatus());
        _requestContent?.Abort();
        _response?.Dispose();
    }
}
