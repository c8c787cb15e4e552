using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DistributedTrainer.Transport;

/// <summary>
/// Ends with UNAUTHENTICATED, before their handler runs, the calls whose <c>authorization: Bearer &lt;token&gt;</c>
/// header is missing or is not the token their service takes under the <see cref="BearerTokenPolicy"/> (one token
/// per service: the coordinator's Jobs API and its cluster services take different ones). Calls to open services
/// (health, so probes need no secret) pass without one.
/// </summary>
public sealed class BearerTokenInterceptor(BearerTokenPolicy policy) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (policy.Refusal(context.Method, context.RequestHeaders.GetValue("authorization")) is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, refusal));
        }
    }
}
