using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DistributedTrainer.Transport;

/// <summary>
/// Accepts calls that carry <c>authorization: Bearer &lt;token&gt;</c> and ends the others with UNAUTHENTICATED
/// before their handler runs. Calls to the open services (health, so probes need no secret) pass without one. The
/// comparison takes the same time for any wrong token of the same length.
/// </summary>
public sealed class BearerTokenInterceptor : Interceptor
{
    private readonly byte[] _expected;
    private readonly string[] _openPrefixes;

    /// <exception cref="ArgumentException">The token is empty.</exception>
    public BearerTokenInterceptor(string token, IReadOnlyList<string> openServices)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentNullException.ThrowIfNull(openServices);
        _expected = Encoding.UTF8.GetBytes("Bearer " + token);
        _openPrefixes = [.. openServices.Select(service => $"/{service}/")];
    }

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
        if (_openPrefixes.Any(prefix => context.Method.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return;
        }
        string? presented = context.RequestHeaders.GetValue("authorization");
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _expected))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, presented is null ? "Missing bearer token" : "Invalid bearer token"));
        }
    }
}
