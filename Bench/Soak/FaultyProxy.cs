using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace DistributedTrainer.Bench.Soak;

/// <summary>
/// A TCP proxy on loopback in front of one process: everything that reaches the process (the coordinator's calls, the
/// ring peers' streams) passes through it, so the soak can delay every piece of data or cut every connection without
/// any fault code in the product.
/// </summary>
internal sealed class FaultyProxy : IAsyncDisposable
{
    private const int BufferBytes = 64 * 1024;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, (TcpClient Inbound, TcpClient Outbound)> _connections = new();
    private readonly Task _accepting;
    private int _nextConnection;
    private long _delayTicks;

    public FaultyProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Where the proxy listens; the process advertises this port.</summary>
    public int Port { get; }

    /// <summary>Delay added before every piece of data forwarded in either direction; zero: none.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>Closes every open connection at once (both sides see a reset); new ones are accepted as before.</summary>
    public int CutAll()
    {
        int cut = 0;
        foreach (var (id, pair) in _connections)
        {
            if (_connections.TryRemove(id, out _))
            {
                Close(pair);
                cut++;
            }
        }
        return cut;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        CutAll();
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception stopped) when (stopped is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ForwardAsync(inbound));
        }
    }

    private async Task ForwardAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        int id = Interlocked.Increment(ref _nextConnection);
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token);
            inbound.NoDelay = true;
            outbound.NoDelay = true;
            _connections[id] = (inbound, outbound);
            // When either direction ends, the whole connection ends, as a proxy in between does.
            await Task.WhenAny(PumpAsync(inbound.GetStream(), outbound.GetStream()), PumpAsync(outbound.GetStream(), inbound.GetStream()));
        }
        catch (Exception ended) when (ended is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The target is down (killed, restarting) or the connection was cut: the client sees the connection close.
        }
        finally
        {
            _connections.TryRemove(id, out _);
            Close((inbound, outbound));
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[BufferBytes];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stopping.Token)) > 0)
            {
                var delay = Delay;
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _stopping.Token);
                }
                await to.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
            }
        }
        catch (Exception ended) when (ended is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Cut, reset or stopped: the other direction is closed with it by the caller.
        }
    }

    private static void Close((TcpClient Inbound, TcpClient Outbound) pair)
    {
        // A linger of 0 sends a reset, as a dropped connection does, instead of a graceful close.
        foreach (var client in new[] { pair.Inbound, pair.Outbound })
        {
            try
            {
                client.Client.LingerState = new LingerOption(true, 0);
            }
            catch (Exception closed) when (closed is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
            client.Dispose();
        }
    }
}
