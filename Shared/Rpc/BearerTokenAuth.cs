using System.Security.Cryptography;
using System.Text;

namespace DistributedTrainer.Rpc;

/// <summary>A ready <see cref="GrpcServerOptions.Interceptor"/> that checks <c>authorization: Bearer &lt;token&gt;</c>.</summary>
public static class BearerTokenAuth
{
    /// <summary>
    /// Accepts calls that carry <paramref name="token"/> as a bearer token and ends the others with
    /// UNAUTHENTICATED. Calls to <paramref name="openServices"/> (e.g. <c>grpc.health.v1.Health</c>, so that
    /// Kubernetes probes need no secret) pass without one. The comparison takes the same time for any wrong token.
    /// </summary>
    /// <exception cref="ArgumentException">The token is empty.</exception>
    public static Func<ServerCallContext, Task> Create(string token, params string[] openServices)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        byte[] expected = Encoding.UTF8.GetBytes("Bearer " + token);
        string[] openPrefixes = [.. openServices.Select(service => $"/{service}/")];
        return context =>
        {
            if (openPrefixes.Any(prefix => context.Method.StartsWith(prefix, StringComparison.Ordinal)))
            {
                return Task.CompletedTask;
            }

            string? presented = context.RequestHeaders.GetValue("authorization");
            if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expected))
            {
                throw new RpcException(StatusCode.Unauthenticated, presented is null ? "Missing bearer token" : "Invalid bearer token");
            }

            return Task.CompletedTask;
        };
    }

    /// <summary>The headers a client sends to present <paramref name="token"/>; null (none) without a token.</summary>
    public static Metadata? Headers(string? token) => token is null ? null : new Metadata().Add("authorization", "Bearer " + token);
}
