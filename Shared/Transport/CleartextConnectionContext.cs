namespace DistributedTrainer.Transport;

/// <summary>
/// What a server gives the connection middleware of its cleartext endpoint
/// (<see cref="GrpcEndpointOptions.CleartextConnections"/>), so that the calls it serves itself are checked and ended
/// as the server's gRPC calls are.
/// </summary>
/// <param name="Tokens">The token policy the server's interceptor applies; null when the server takes no tokens.</param>
/// <param name="CallsEnding">Fires when a stopping server ends its open calls, with UNAVAILABLE, after a short drain.</param>
public sealed record CleartextConnectionContext(BearerTokenPolicy? Tokens, CancellationToken CallsEnding);
