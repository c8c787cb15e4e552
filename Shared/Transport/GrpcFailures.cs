using System.Security.Authentication;
using Grpc.Core;

namespace DistributedTrainer.Transport;

/// <summary>What a failed call's status means for its caller, where the status code alone does not say.</summary>
public static class GrpcFailures
{
    /// <summary>
    /// Whether the call failed because the TLS handshake failed (e.g. the server's certificate is not trusted): the
    /// server was never reached. Grpc.Net.Client reports this as INTERNAL, not UNAVAILABLE, with the handshake's
    /// <see cref="AuthenticationException"/> in the status's debug exception.
    /// </summary>
    public static bool IsTlsFailure(RpcException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        for (Exception? current = failure.Status.DebugException; current is not null; current = current.InnerException)
        {
            if (current is AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }
}
