using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The dashboard's own Kestrel endpoint (HTTP/1.1: browsers do not speak h2c, and the gRPC endpoint speaks only HTTP/2),
/// kept so that its routes answer there only and its bound port can be read once Kestrel has bound it.
/// </summary>
internal sealed class DashboardListener
{
    private ListenOptions? _listen;

    /// <summary>True when the coordinator serves a dashboard.</summary>
    public bool Enabled => _listen is not null;

    /// <summary>The bound port; before the server starts, the requested one (0: free).</summary>
    public int Port => _listen?.IPEndPoint?.Port ?? 0;

    /// <summary>Remembers the endpoint Kestrel was told to listen on (called from the Kestrel configuration).</summary>
    public void Attach(ListenOptions listen) => _listen = listen;

    /// <summary>The dashboard's address once bound, e.g. <c>http://127.0.0.1:41235</c>; null without a dashboard.</summary>
    public Uri? Address(bool tls) =>
        _listen?.IPEndPoint is { } endpoint ? new Uri($"{(tls ? "https" : "http")}://{endpoint}") : null;
}
