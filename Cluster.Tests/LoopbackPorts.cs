using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DistributedTrainer.Tests;

/// <summary>
/// Ports for tests that stop a server and start another on the same port while clients keep connecting to it.
/// </summary>
/// <remarks>
/// A port from the kernel's ephemeral range (what binding port 0 gives) can meanwhile become the local port of an
/// outgoing connection, even of a client retrying that very port (TCP's simultaneous open then connects the client to
/// itself), and the second server fails with "address already in use". A port below the range is never handed out so.
/// </remarks>
internal static class LoopbackPorts
{
    // Ports this far below the ephemeral range are tried; Linux's default range starts at 32768.
    private const int Span = 12_000;

    /// <summary>A port free on 127.0.0.1 now, below the ephemeral range.</summary>
    public static int OutsideEphemeralRange()
    {
        int low = EphemeralLow();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int port = Random.Shared.Next(Math.Max(1024, low - Span), low);
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
            finally
            {
                listener.Stop();
            }
        }
        throw new InvalidOperationException($"No free loopback port found in [{Math.Max(1024, low - Span)}, {low}) after 100 tries");
    }

    private static int EphemeralLow()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        string[] bounds = File.Exists(range) ? File.ReadAllText(range).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [];
        return bounds.Length > 0 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int low) && low > 1024 ? low : 32768;
    }
}
