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
    /// <param name="tokens">The endpoint's token policy (the interceptor's); null when it takes no tokens.</param>
    public static ConnectionDelegate Middleware(ConnectionDelegate next, CollectiveService service, BearerTokenPolicy? tokens) => async connection =>
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
        // Kestrel asks a connection to close when the server stops, and waits for it: the subscription ends then too.
        CancellationToken closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, closing);
        await DirectRingStream.ServeAsync(socket, input, start.AsMemory(0, subscription.Length), subscription.StreamId, subscription.Authorization,
            tokens, service, closed.Token);
    };
}
