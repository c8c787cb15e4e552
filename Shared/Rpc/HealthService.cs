using System.Threading.Channels;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistributedTrainer.Rpc;

/// <summary>
/// The standard <c>grpc.health.v1.Health</c> service (Kubernetes gRPC probes, grpc_health_probe). The server as
/// a whole (service name "") starts SERVING; other services are unknown until their status is set.
/// </summary>
/// <example><code>router.AddService(health.Definition); health.SetStatus("trainer.v1.Jobs", ServingStatus.Serving);</code></example>
public sealed class HealthService
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal) { [string.Empty] = ServingStatus.Serving };
    private readonly Dictionary<string, List<ChannelWriter<ServingStatus>>> _watchers = new(StringComparer.Ordinal);

    /// <summary>Creates the service with the server SERVING.</summary>
    public HealthService()
    {
        Definition = new GrpcServiceBuilder(HealthReflection.Descriptor.Services[0])
            .Unary<HealthCheckRequest, HealthCheckResponse>("Check", CheckAsync)
            .ServerStreaming<HealthCheckRequest, HealthCheckResponse>("Watch", WatchAsync)
            .Build();
    }

    /// <summary>The service, to add to a <see cref="GrpcRouter"/>.</summary>
    public GrpcServiceDefinition Definition { get; }

    /// <summary>Sets the status of <paramref name="service"/> ("" for the whole server) and tells its watchers.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_gate)
        {
            _statuses[service] = status;
            Notify(service, status);
        }
    }

    /// <summary>Forgets <paramref name="service"/>: Check answers NOT_FOUND, watchers see SERVICE_UNKNOWN.</summary>
    public void ClearStatus(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_gate)
        {
            if (_statuses.Remove(service))
            {
                Notify(service, ServingStatus.ServiceUnknown);
            }
        }
    }

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        lock (_gate)
        {
            return _statuses.TryGetValue(request.Service, out ServingStatus status)
                ? Task.FromResult(new HealthCheckResponse { Status = status })
                : throw new RpcException(StatusCode.NotFound, $"Unknown service: '{request.Service}'");
        }
    }

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        // Only the latest status matters to a watcher: a slow one skips the ones in between.
        Channel<ServingStatus> updates = Channel.CreateBounded<ServingStatus>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            updates.Writer.TryWrite(_statuses.TryGetValue(request.Service, out ServingStatus current) ? current : ServingStatus.ServiceUnknown);
            if (!_watchers.TryGetValue(request.Service, out List<ChannelWriter<ServingStatus>>? list))
            {
                list = [];
                _watchers[request.Service] = list;
            }

            list.Add(updates.Writer);
        }

        try
        {
            ServingStatus? sent = null;
            while (true)
            {
                ServingStatus status = await updates.Reader.ReadAsync(context.CancellationToken);
                if (status != sent)
                {
                    await responses.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken);
                    sent = status;
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers[request.Service].Remove(updates.Writer);
            }
        }
    }

    private void Notify(string service, ServingStatus status)
    {
        if (_watchers.TryGetValue(service, out List<ChannelWriter<ServingStatus>>? list))
        {
            foreach (ChannelWriter<ServingStatus> watcher in list)
            {
                watcher.TryWrite(status);
            }
        }
    }
}
