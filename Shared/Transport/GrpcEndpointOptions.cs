using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Transport;

/// <summary>Where and how a process serves gRPC: one HTTP/2 endpoint, its credentials and its limits.</summary>
public sealed class GrpcEndpointOptions
{
    /// <summary>The address to bind. Default: loopback.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The port; 0 (the default) lets the system choose a free one.</summary>
    public int Port { get; init; }

    /// <summary>The server certificate with its key for TLS; null (the default) serves cleartext h2c.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// The bearer token every call must present, except calls to <see cref="OpenServices"/> and to the services of
    /// <see cref="ServiceTokens"/>; null (the default): none.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// Services (full names, e.g. <c>trainer.v1.Cluster</c>) that take their own token instead of <see cref="Token"/>;
    /// a null token leaves that service open. Default: none.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ServiceTokens { get; init; } = new Dictionary<string, string?>();

    /// <summary>Services callable without the token. Default: <c>grpc.health.v1.Health</c>, so probes need no secret.</summary>
    public IReadOnlyList<string> OpenServices { get; init; } = [GrpcHealth.ServiceName];

    /// <summary>The largest request message accepted, in bytes; larger ones end the call with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest response message sent, in bytes. Default 4 MiB, what grpcio clients accept.</summary>
    public int MaxSendMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Log providers of the server; null: none.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>
    /// Connection middleware of a cleartext endpoint, before Kestrel's HTTP/2 reads a connection: given the rest of the
    /// pipeline and the server's token policy and shutdown (<see cref="CleartextConnectionContext"/>), so that what it
    /// serves itself is checked and ended as calls are. Null (the default): none. Not used with a <see cref="Certificate"/>.
    /// </summary>
    public Func<ConnectionDelegate, CleartextConnectionContext, ConnectionDelegate>? CleartextConnections { get; init; }
}
