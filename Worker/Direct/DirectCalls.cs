using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using DistributedTrainer.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace DistributedTrainer.Worker.Direct;

/// <summary>
/// Connection middleware of a worker's cleartext endpoint: a connection whose first bytes are a sole-request call to a
/// method served directly (the worker's: the next rank's ring subscription, the coordinator's Step calls) is a
/// <see cref="DirectCall"/>;
/// every other connection, and one whose first read holds less than the request's headers, goes on to Kestrel's HTTP/2
/// untouched, so any gRPC client can still call every method.
/// </summary>
internal static class DirectCalls
{
    /// <summary>How much of the first read is looked at: a direct call's start (through its HEADERS frame) takes a few hundred bytes.</summary>
    private const int MaxFirstBytes = 64 * 1024;

    /// <param name="next">Kestrel's HTTP/2.</param>
    /// <param name="server">The endpoint's token policy (the interceptor's) and the moment its calls end.</param>
    /// <param name="methods">The methods served directly, each at its own path.</param>
    public static ConnectionDelegate Middleware(ConnectionDelegate next, CleartextConnectionContext server, params DirectCall.Method[] methods)
    {
        var byPath = methods.ToDictionary(method => method.Path, StringComparer.Ordinal);
        return async connection =>
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
            // The request's first messages may have come in the same read, however large: only its start is looked at.
            byte[] start = buffer.Slice(0, Math.Min(buffer.Length, MaxFirstBytes)).ToArray();
            if (DirectCall.StartIn(start) is not { } call || !byPath.TryGetValue(call.Path, out var method))
            {
                // Nothing consumed, nothing examined: Kestrel's first read returns these bytes at once.
                input.AdvanceTo(buffer.Start);
                await next(connection);
                return;
            }
            // The request's body may have come in the same read: it stays in the pipe for the call to read.
            input.AdvanceTo(buffer.GetPosition(call.Length));
            await DirectCall.ServeAsync(socket, input, start.AsMemory(0, call.Length), call, method, server, connection.ConnectionClosed);
        };
    }
}
