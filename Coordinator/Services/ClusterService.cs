using System.Text.RegularExpressions;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;
// Inside this namespace the simple name Cluster is the namespace DistributedTrainer.Coordinator.Cluster.
using ClusterRpc = DistributedTrainer.Protos.V1.Cluster;

namespace DistributedTrainer.Coordinator.Services;

/// <summary>trainer.v1.Cluster over the <see cref="WorkerRegistry"/>: workers register, heartbeat and say they are leaving here.</summary>
internal sealed partial class ClusterService(WorkerRegistry registry, ILogger<ClusterService> logger) : ClusterRpc.ClusterBase
{
    /// <summary>Longest worker name accepted (a DNS label, as a Kubernetes pod name).</summary>
    public const int MaxNameLength = 63;

    public override Task<RegisterWorkerResponse> Register(RegisterWorkerRequest request, ServerCallContext context) =>
        Task.FromResult(Register(request));

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(Heartbeat(request));

    public override Task<LeaveResponse> Leave(LeaveRequest request, ServerCallContext context) =>
        Task.FromResult(Leave(request));

    private RegisterWorkerResponse Register(RegisterWorkerRequest request)
    {
        var address = ParseAddress(request.Address);
        if (request.Threads < 1)
        {
            throw Reject($"threads: must be >= 1, got {request.Threads}");
        }
        if (request.Name.Length > 0 && (request.Name.Length > MaxNameLength || !NamePattern().IsMatch(request.Name)))
        {
            throw Reject($"name: must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit, got '{request.Name}'");
        }
        WorkerEndpoint worker;
        try
        {
            worker = registry.Register(address, request.Threads, request.Name);
        }
        catch (InvalidOperationException full)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, full.Message));
        }
        return new RegisterWorkerResponse
        {
            WorkerId = worker.Id,
            HeartbeatIntervalMs = (int)registry.HeartbeatInterval.TotalMilliseconds,
        };
    }

    private HeartbeatResponse Heartbeat(HeartbeatRequest request)
    {
        if (request.WorkerId.Length == 0)
        {
            throw Reject("worker_id: required");
        }
        var address = request.Address.Length == 0 ? null : ParseAddress(request.Address);
        return new HeartbeatResponse { Known = registry.Heartbeat(request.WorkerId, address) };
    }

    private LeaveResponse Leave(LeaveRequest request)
    {
        if (request.WorkerId.Length == 0)
        {
            throw Reject("worker_id: required");
        }
        var address = request.Address.Length == 0 ? null : ParseAddress(request.Address);
        return new LeaveResponse { Known = registry.Leave(request.WorkerId, address) };
    }

    private Uri ParseAddress(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var address)
            || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
            || address.Host.Length == 0)
        {
            // Printed bounded: the text comes from the network.
            throw Reject($"address: must be an absolute http(s) URL such as http://10.0.0.7:6000, got '{Truncate(text)}'");
        }
        return address;
    }

    private RpcException Reject(string reason)
    {
        CoordinatorLog.RegistrationRejected(logger, reason);
        return new RpcException(new Status(StatusCode.InvalidArgument, reason));
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();
}
