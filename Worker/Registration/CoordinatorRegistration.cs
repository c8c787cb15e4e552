using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Worker.Registration;

/// <summary>
/// Keeps the worker registered: registers, heartbeats at the interval the coordinator gives, registers again when
/// a heartbeat says the worker is unknown (the coordinator restarted or dropped it), and retries with a capped
/// exponential backoff while the coordinator does not answer. Each change of state is logged once.
/// </summary>
internal sealed class CoordinatorRegistration : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(200);

    private readonly Uri _coordinator;
    private readonly GrpcChannel _channel;
    private readonly Cluster.ClusterClient _cluster;
    private readonly RegisterWorkerRequest _request;
    private readonly Metadata? _headers;
    private readonly TimeSpan _maxRetryDelay;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private volatile string? _workerId;

    private CoordinatorRegistration(Uri coordinator, RegisterWorkerRequest request, string? token, TimeSpan maxRetryDelay, ILogger logger)
    {
        _coordinator = coordinator;
        _channel = GrpcChannels.Create(coordinator);
        _cluster = new Cluster.ClusterClient(_channel);
        _request = request;
        _headers = BearerToken.Headers(token);
        _maxRetryDelay = maxRetryDelay;
        _logger = logger;
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>The id the coordinator gave, or null while the worker is not registered.</summary>
    public string? WorkerId => _workerId;

    /// <summary>Starts registering <paramref name="request"/> with <paramref name="coordinator"/> in the background.</summary>
    public static CoordinatorRegistration Start(Uri coordinator, RegisterWorkerRequest request, string? token,
        TimeSpan maxRetryDelay, ILogger logger) => new(coordinator, request, token, maxRetryDelay, logger);

    private async Task RunAsync(CancellationToken stopping)
    {
        var retryDelay = FirstRetryDelay;
        bool reachable = true;
        var interval = TimeSpan.Zero;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (_workerId is null)
                {
                    var registered = await _cluster.RegisterAsync(_request, Options(stopping));
                    _workerId = registered.WorkerId;
                    interval = TimeSpan.FromMilliseconds(Math.Max(100, registered.HeartbeatIntervalMs));
                    MarkReachable(ref reachable);
                    WorkerLog.Registered(_logger, _coordinator, registered.WorkerId, registered.HeartbeatIntervalMs);
                }
                else
                {
                    var heartbeat = await _cluster.HeartbeatAsync(new HeartbeatRequest { WorkerId = _workerId, Address = _request.Address }, Options(stopping));
                    MarkReachable(ref reachable);
                    if (!heartbeat.Known)
                    {
                        WorkerLog.Forgotten(_logger, _workerId);
                        _workerId = null;
                        continue;
                    }
                }
                retryDelay = FirstRetryDelay;
                await Task.Delay(interval, stopping);
            }
            catch (Exception failure) when (!stopping.IsCancellationRequested && failure is RpcException or HttpRequestException or IOException)
            {
                if (reachable)
                {
                    reachable = false;
                    WorkerLog.Unreachable(_logger, _coordinator, failure is RpcException rpc ? $"{rpc.StatusCode} {rpc.Status.Detail}" : failure.Message, _maxRetryDelay);
                }
                await Task.Delay(retryDelay, stopping).ContinueWith(static _ => { }, TaskScheduler.Default);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, _maxRetryDelay.Ticks));
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // Stopping cancels the call or the wait in flight, whatever it surfaces as.
                return;
            }
        }
    }

    /// <summary>
    /// Stops heartbeating and tells the coordinator this worker is leaving (one call, a short deadline). Returns true when
    /// the coordinator knew the worker, so a job it holds will release it; false when it did not or could not be asked.
    /// </summary>
    public async Task<bool> LeaveAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        if (_workerId is not { } workerId)
        {
            return false;
        }
        try
        {
            var left = await _cluster.LeaveAsync(new LeaveRequest { WorkerId = workerId, Address = _request.Address },
                new CallOptions(_headers, DateTime.UtcNow + CallTimeout));
            return left.Known;
        }
        catch (RpcException unreachable)
        {
            WorkerLog.LeaveNotTold(_logger, _coordinator, $"{unreachable.StatusCode} {unreachable.Status.Detail}");
            return false;
        }
    }

    private void MarkReachable(ref bool reachable)
    {
        if (!reachable)
        {
            reachable = true;
            WorkerLog.Reachable(_logger, _coordinator);
        }
    }

    private CallOptions Options(CancellationToken stopping) => new(_headers, DateTime.UtcNow + CallTimeout, stopping);

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }
        await _loop;
        _stopping.Dispose();
        _channel.Dispose();
    }
}
