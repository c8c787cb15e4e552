using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// Ends open calls promptly when the host stops, with UNAVAILABLE ("the server is shutting down"), so clients retry
/// elsewhere or later. Kestrel alone lets a long stream (a job watch, a health watch) run until the host's shutdown
/// timeout and then cuts the connection without a status. <see cref="LinkToShutdown"/> makes each call's
/// cancellation token fire when <see cref="CallShutdown"/> ends calls; this interceptor turns whatever failure follows
/// (the cancellation, or a handler's own status when another call of this server ended first) into the status.
/// </summary>
internal sealed class ServerStoppingInterceptor(CallShutdown shutdown) : Interceptor
{
    /// <summary>Middleware: a request's <see cref="HttpContext.RequestAborted"/> (the gRPC call's cancellation token) also fires when the server ends its calls.</summary>
    public static async Task LinkToShutdown(HttpContext context, RequestDelegate next)
    {
        var shutdown = context.RequestServices.GetRequiredService<CallShutdown>();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, shutdown.Ending);
        context.RequestAborted = linked.Token;
        await next(context);
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception cancelled) when (IsStop(cancelled))
        {
            throw Unavailable();
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception cancelled) when (IsStop(cancelled))
        {
            throw Unavailable();
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception cancelled) when (IsStop(cancelled))
        {
            throw Unavailable();
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception cancelled) when (IsStop(cancelled))
        {
            throw Unavailable();
        }
    }

    // A handler cancelled through its token throws OperationCanceledException (or IOException from a body read). Once
    // the server has begun to stop, any failure is the stop: calls end one by one, so a handler may fail first because
    // another of this server's calls ended (a worker's ring stream before its step), and the status it would send then
    // names the wrong cause. That holds from the stop's start, not only once the drain ends the calls: a host stopped
    // with a cancelled token (a killed worker in the drills) aborts its connections at once, within the drain.
    private bool IsStop(Exception exception) => IsStop(shutdown.Stopping, exception);

    /// <summary>Whether <paramref name="exception"/>, a call's failure, is the stop's: the one rule for every call a server serves.</summary>
    internal static bool IsStop(bool stopping, Exception exception) =>
        stopping && exception is OperationCanceledException or IOException or RpcException;

    /// <summary>The status of a call the stopping server ended.</summary>
    internal static readonly Status Stopped = new(StatusCode.Unavailable, "The server is shutting down");

    private static RpcException Unavailable() => new(Stopped);
}
