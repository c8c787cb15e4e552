using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// An h2c client handler for long server streams of large messages: each call gets a TCP connection of its own
/// (<see cref="LeanHttp2Stream"/>), which asks the server for DATA frames as large as HTTP/2 allows and reads a
/// frame's payload straight into the reader's buffer.
/// </summary>
/// <remarks>
/// SocketsHttpHandler takes DATA frames of 16 KiB whatever the server could send and copies each one twice on its way
/// to the gRPC reader (into the stream's response buffer, then out of it); on the ring's streams that was a third of
/// the receiving side's CPU. This handler serves only what those streams need: http:// addresses (TLS goes through
/// SocketsHttpHandler), one reader at a time, and a caller that reads the response while it writes the request (the
/// server's window updates are taken by the reads, so a writer that never reads stops once it has used the window).
/// </remarks>
internal sealed class LeanHttp2Handler(TimeSpan connectTimeout) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Uri address = request.RequestUri ?? throw new ArgumentException("Invalid request: no RequestUri", nameof(request));
        if (address.Scheme != Uri.UriSchemeHttp)
        {
            throw new NotSupportedException($"Invalid address: '{address}' (this handler speaks h2c, http:// only)");
        }

        // The trace context goes with the request, as SocketsHttpHandler's diagnostics handler sends it.
        if (Activity.Current is { } activity && !request.Headers.Contains("traceparent"))
        {
            DistributedContextPropagator.Current.Inject(activity, request.Headers,
                static (carrier, name, value) => ((HttpRequestHeaders)carrier!).TryAddWithoutValidation(name, value));
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connecting.CancelAfter(connectTimeout);
                try
                {
                    await socket.ConnectAsync(EndPoint(address), connecting.Token);
                }
                catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    string reason = e is SocketException ? e.Message : $"no connection within {connectTimeout.TotalSeconds:0.###} s";
                    throw new HttpRequestException(HttpRequestError.ConnectionError, $"Cannot connect to {address.Authority}: {reason}", e);
                }
            }

            var stream = new LeanHttp2Stream(socket);
            try
            {
                return await stream.SendAsync(request, cancellationToken);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // An IP literal connects as it is (an IPv6 host without its brackets); a name is resolved on connect.
    private static EndPoint EndPoint(Uri address) =>
        address.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            ? new IPEndPoint(IPAddress.Parse(address.DnsSafeHost), address.Port)
            : new DnsEndPoint(address.IdnHost, address.Port);
}
