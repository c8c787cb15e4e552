using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace DistributedTrainer.Transport;

/// <summary>
/// The serving status a process reports through grpc.health.v1 (Grpc.HealthCheck's service): SERVING for each of
/// its services and for the server as a whole ("") while it runs, NOT_SERVING from the moment it starts stopping,
/// so load balancers and Kubernetes probes stop sending it work before its calls are cut.
/// </summary>
public sealed class GrpcHealth
{
    /// <summary>The health service's full name; probes call it without credentials.</summary>
    public const string ServiceName = "grpc.health.v1.Health";

    private readonly object _gate = new();
    private readonly List<string> _services = [""];

    /// <summary>The service that answers Check and Watch.</summary>
    public HealthServiceImpl Service { get; } = new();

    /// <summary>Marks <paramref name="services"/> and the server SERVING.</summary>
    public void Serve(IEnumerable<string> services)
    {
        lock (_gate)
        {
            _services.AddRange(services.Where(service => !_services.Contains(service)));
            foreach (var service in _services)
            {
                Service.SetStatus(service, HealthCheckResponse.Types.ServingStatus.Serving);
            }
        }
    }

    /// <summary>Marks every service and the server NOT_SERVING; watchers hear it at once.</summary>
    public void StopServing()
    {
        lock (_gate)
        {
            foreach (var service in _services)
            {
                Service.SetStatus(service, HealthCheckResponse.Types.ServingStatus.NotServing);
            }
        }
    }
}
