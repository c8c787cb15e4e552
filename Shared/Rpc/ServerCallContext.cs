using System.Net.Sockets;
using DistributedTrainer.Rpc.Internal;
using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Rpc;

/// <summary>What a server handler knows about its call, and the metadata it sends back.</summary>
public sealed class ServerCallContext
{
    private readonly ServerCall _call;

    internal ServerCallContext(ServerCall call, string method, DateTime deadline, Metadata requestHeaders, CancellationToken cancellationToken)
    {
        _call = call;
        Method = method;
        Deadline = deadline;
        RequestHeaders = requestHeaders;
        CancellationToken = cancellationToken;
    }

    /// <summary>The method path: <c>/{package.Service}/{Method}</c>.</summary>
    public string Method { get; }

    /// <summary>The client's address, as gRPC writes it: <c>ipv4:127.0.0.1:50712</c> or <c>ipv6:[::1]:50712</c>.</summary>
    public string Peer
    {
        get
        {
            ConnectionInfo connection = _call.Http.Connection;
            if (connection.RemoteIpAddress is null)
            {
                return "unknown";
            }

            return connection.RemoteIpAddress.AddressFamily == AddressFamily.InterNetworkV6
                ? $"ipv6:[{connection.RemoteIpAddress}]:{connection.RemotePort}"
                : $"ipv4:{connection.RemoteIpAddress}:{connection.RemotePort}";
        }
    }

    /// <summary>The UTC deadline the client set with <c>grpc-timeout</c>; <see cref="DateTime.MaxValue"/> when none.</summary>
    public DateTime Deadline { get; }

    /// <summary>Cancelled when the client cancels or disconnects, the deadline passes, or the server shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The metadata the client sent (reserved headers such as <c>grpc-timeout</c> left out).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>Metadata sent with the response headers: add to it before the first message or <see cref="WriteResponseHeadersAsync"/>.</summary>
    public Metadata ResponseHeaders { get; } = new();

    /// <summary>Metadata sent with the status at the end of the call; also sent when the handler throws.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>The underlying HTTP request (connection, TLS client certificate, request services).</summary>
    public HttpContext HttpContext => _call.Http;

    /// <summary>Sends the response headers now rather than with the first message.</summary>
    /// <exception cref="InvalidOperationException">The headers were already sent.</exception>
    public Task WriteResponseHeadersAsync() => _call.SendHeadersAsync();
}
