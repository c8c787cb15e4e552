using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Rpc;

/// <summary>Settings of a <see cref="GrpcHost"/>.</summary>
public sealed class GrpcHostOptions
{
    /// <summary>The address to listen on. Default 127.0.0.1.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The port; 0 (the default) lets the system choose a free one, see <see cref="GrpcHost.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>The TLS certificate with its private key; null (the default) serves cleartext HTTP/2 (h2c).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Adds log providers; null (the default) logs nothing.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
