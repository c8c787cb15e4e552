using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>
/// One call on the server: the deadline, the cancellation, the response headers and the status at the end.
/// Maps every way a handler can end to one status, in one place.
/// </summary>
internal sealed class ServerCall : IDisposable
{
    // CancellationTokenSource timers take at most uint.MaxValue - 1 ms; longer deadlines need no timer.
    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(49);

    // What a call the client abandoned ended with, as this side saw it; nothing is sent.
    private static readonly (StatusCode, string) ClientGone = (StatusCode.Cancelled, "Client cancelled the call or disconnected");

    private readonly CancellationTokenSource? _deadlineCts;
    private readonly CancellationTokenSource _callCts;
    private readonly CancellationToken _stopping;
    private bool _headersPrepared;

    /// <param name="http">The request.</param>
    /// <param name="options">The router's settings.</param>
    /// <param name="method">The method path.</param>
    /// <param name="timeout">The client's <c>grpc-timeout</c>, if any.</param>
    /// <param name="requestEncoding">The client's <c>grpc-encoding</c>, if any.</param>
    /// <param name="stopping">Fires when the server shuts down: calls in flight end with UNAVAILABLE.</param>
    public ServerCall(HttpContext http, GrpcServerOptions options, string method, TimeSpan? timeout, string? requestEncoding, CancellationToken stopping)
    {
        Http = http;
        Options = options;
        RequestEncoding = requestEncoding;
        _stopping = stopping;
        DateTime deadline = DateTime.MaxValue;
        if (timeout is { } t)
        {
            deadline = t < DateTime.MaxValue - DateTime.UtcNow ? DateTime.UtcNow + t : DateTime.MaxValue;
            if (t < MaxTimer)
            {
                _deadlineCts = new CancellationTokenSource(t);
            }
        }

        _callCts = _deadlineCts is null
            ? CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping)
            : CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, _stopping, _deadlineCts.Token);
        Context = new ServerCallContext(this, method, deadline, HeaderMetadata.FromRequest(http.Request.Headers), _callCts.Token);
    }

    public HttpContext Http { get; }

    public GrpcServerOptions Options { get; }

    public string? RequestEncoding { get; }

    public ServerCallContext Context { get; }

    public CancellationToken CancellationToken => _callCts.Token;

    /// <summary>
    /// Whether a read or write given <paramref name="token"/> must also watch a linked source: not when the token
    /// cannot fire or is the call's own (handlers usually pass <c>context.CancellationToken</c>), which saves a
    /// linked source per message.
    /// </summary>
    public bool NeedsLink(CancellationToken token) => token.CanBeCanceled && token != CancellationToken;

    /// <summary>Set by the response writer once a message went into the body, flushed or not.</summary>
    public bool MessageWritten { get; set; }

    /// <summary>Runs the interceptor and the handler, then ends the call with its status, which it returns.</summary>
    public async Task<(StatusCode Code, string Detail)> RunAsync(ServerMethod method, ILogger logger)
    {
        StatusCode code = StatusCode.OK;
        string detail = string.Empty;
        Metadata? extraTrailers = null;
        try
        {
            if (Options.Interceptor is { } interceptor)
            {
                await interceptor(Context);
            }

            await method.InvokeAsync(this);
        }
        catch (Exception) when (Http.RequestAborted.IsCancellationRequested)
        {
            // The client is gone (cancel or disconnect): nobody reads a status.
            return ClientGone;
        }
        catch (Exception) when (_deadlineCts?.IsCancellationRequested == true)
        {
            code = StatusCode.DeadlineExceeded;
            detail = "Deadline exceeded";
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            code = StatusCode.Unavailable;
            detail = "Server is shutting down";
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            detail = e.Detail;
            extraTrailers = e.Trailers;
        }
        catch (Exception e)
        {
            // The exception text may hold internals: it goes to the log, never to the client.
            RpcLog.HandlerFailed(logger, Context.Method, e);
            code = StatusCode.Unknown;
            detail = "Exception was thrown by handler.";
        }

        if (Http.RequestAborted.IsCancellationRequested)
        {
            return ClientGone;
        }

        if (_deadlineCts?.IsCancellationRequested == true)
        {
            // The client stopped waiting at its deadline, whatever the handler did after it.
            code = StatusCode.DeadlineExceeded;
            detail = "Deadline exceeded";
        }

        WriteStatus(code, detail, extraTrailers);
        return (code, detail);
    }

    /// <summary>Fills in the response headers (not yet sent). Idempotent.</summary>
    public void PrepareResponseHeaders()
    {
        if (_headersPrepared)
        {
            return;
        }

        _headersPrepared = true;
        HttpResponse response = Http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.AcceptEncodingValue;
        HeaderMetadata.AddTo(response.Headers, Context.ResponseHeaders);
    }

    public async Task SendHeadersAsync()
    {
        if (Http.Response.HasStarted)
        {
            throw new InvalidOperationException("Response headers were already sent");
        }

        PrepareResponseHeaders();
        await Http.Response.StartAsync(CancellationToken);
    }

    /// <summary>Ends a call that never reached a handler (unknown method, bad header): a trailers-only response.</summary>
    public static void WriteTrailersOnly(HttpResponse response, StatusCode code, string detail)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.AcceptEncodingValue;
        response.Headers[GrpcProtocol.StatusHeader] = ((int)code).ToString(CultureInfo.InvariantCulture);
        if (detail.Length > 0)
        {
            response.Headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(detail);
        }
    }

    public void Dispose()
    {
        _callCts.Dispose();
        _deadlineCts?.Dispose();
    }

    private void WriteStatus(StatusCode code, string detail, Metadata? extraTrailers)
    {
        HttpResponse response = Http.Response;
        if (!response.HasStarted && !MessageWritten)
        {
            // Trailers-only: the status rides in the headers, with any response metadata.
            PrepareResponseHeaders();
            WriteTrailersOnly(response, code, detail);
            HeaderMetadata.AddTo(response.Headers, Context.ResponseTrailers);
            if (extraTrailers is not null)
            {
                HeaderMetadata.AddTo(response.Headers, extraTrailers);
            }

            return;
        }

        response.AppendTrailer(GrpcProtocol.StatusHeader, ((int)code).ToString(CultureInfo.InvariantCulture));
        if (detail.Length > 0)
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, PercentEncoding.Encode(detail));
        }

        HeaderMetadata.AddToTrailers(response, Context.ResponseTrailers);
        if (extraTrailers is not null)
        {
            HeaderMetadata.AddToTrailers(response, extraTrailers);
        }
    }
}
