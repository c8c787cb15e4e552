using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using DistributedTrainer.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// Connection middleware of a worker's cleartext endpoint: a connection whose first bytes are a sole-request call to
/// trainer.v1.Collective/Subscribe (the next rank's lean client) is served by a <see cref="DirectRingStream"/>; every
/// other connection, and one whose first read holds less than the request's headers, goes on to Kestrel's HTTP/2
/// untouched, so any gRPC client can still subscribe.
/// </summary>
internal static class DirectSubscriptions
{
    /// <summary>A first read longer than this is not a subscription's start (which takes a few hundred bytes).</summary>
    private const int MaxFirstBytes = 64 * 1024;

    /// <param name="next">Kestrel's HTTP/2.</param>
    /// <param name="service">The worker's Collective service, whose subscriptions the direct streams serve too.</param>
    /// <param name="server">The endpoint's token policy (the interceptor's) and the moment its calls end.</param>
    public static ConnectionDelegate Middleware(ConnectionDelegate next, CollectiveService service, CleartextConnectionContext server) => async connection =>
    {
        Socket? socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null)
        {
            await next(connection);
            return;
        }
        PipeReader input = connection.Transport.Input;
        ReadResult first;
        try
        {
            first = await input.ReadAsync(connection.ConnectionClosed);
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException)
        {
            // Gone before its first bytes (a TCP probe, an aborted connection): nothing for anyone to serve.
            return;
        }
        ReadOnlySequence<byte> buffer = first.Buffer;
        byte[]? start = buffer.Length is > 0 and <= MaxFirstBytes ? buffer.ToArray() : null;
        if (start is null || DirectRingStream.SubscriptionIn(start) is not { } subscription)
        {
            // Nothing consumed, nothing examined: Kestrel's first read returns these bytes at once.
            input.AdvanceTo(buffer.Start);
            await next(connection);
            return;
        }
        // The request's body may have come in the same read: it stays in the pipe for the stream to read.
        input.AdvanceTo(buffer.GetPosition(subscription.Length));
        await DirectRingStream.ServeAsync(socket, input, start.AsMemory(0, subscription.Length), subscription, server, service, connection.ConnectionClosed);
    };
}
