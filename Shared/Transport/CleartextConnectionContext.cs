using DistributedTrainer.Transport.Internal;

namespace DistributedTrainer.Transport;

/// <summary>
/// What a server gives the connection middleware of its cleartext endpoint
/// (<see cref="GrpcEndpointOptions.CleartextConnections"/>), so that the calls it serves itself are checked and ended
/// as the server's gRPC calls are.
/// </summary>
public sealed class CleartextConnectionContext
{
    private readonly CallShutdown _shutdown;

    internal CleartextConnectionContext(BearerTokenPolicy? tokens, CallShutdown shutdown)
    {
        Tokens = tokens;
        _shutdown = shutdown;
    }

    /// <summary>The token policy the server's interceptor applies; null when the server takes no tokens.</summary>
    public BearerTokenPolicy? Tokens { get; }

    /// <summary>Fires when a stopping server ends its open calls, with UNAVAILABLE, after a short drain.</summary>
    public CancellationToken CallsEnding => _shutdown.Ending;

    /// <summary>
    /// True from the moment the server starts stopping, before <see cref="CallsEnding"/> fires: from then on a call's
    /// failure is the stop's, and its status UNAVAILABLE, as for the calls Kestrel serves.
    /// </summary>
    public bool Stopping => _shutdown.Stopping;
}
