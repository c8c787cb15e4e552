using System.Collections.Concurrent;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// A tiny trainer.v1.Cluster service on 127.0.0.1 that records registrations and heartbeats; it forgets a worker
/// (heartbeat answers known=false) when told to, as a restarted coordinator would.
/// </summary>
internal sealed class FakeCoordinator : IAsyncDisposable
{
    private readonly LoopbackGrpcServer _server;
    private readonly ConcurrentDictionary<string, bool> _known;
    private readonly State _state;

    private FakeCoordinator(LoopbackGrpcServer server, State state)
    {
        _server = server;
        _state = state;
        _known = state.Known;
    }

    public Uri Address => _server.Address;

    public IReadOnlyCollection<RegisterWorkerRequest> Registrations => _state.Registrations;

    public int Heartbeats => _state.Heartbeats;

    public static async Task<FakeCoordinator> StartAsync(int port = 0, int heartbeatIntervalMs = 100)
    {
        var state = new State { HeartbeatIntervalMs = heartbeatIntervalMs };
        var server = await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(new ClusterService(state)),
            app => app.MapGrpcService<ClusterService>(), new GrpcEndpointOptions { Port = port });
        return new FakeCoordinator(server, state);
    }

    /// <summary>Forgets every registered worker.</summary>
    public void ForgetAll() => _known.Clear();

    /// <summary>Polls until <paramref name="condition"/> holds; false after <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private sealed class State
    {
        public readonly ConcurrentQueue<RegisterWorkerRequest> Registrations = new();
        public readonly ConcurrentDictionary<string, bool> Known = new();
        public int Heartbeats;
        public int HeartbeatIntervalMs;
    }

    private sealed class ClusterService(State state) : Protos.V1.Cluster.ClusterBase
    {
        public override Task<RegisterWorkerResponse> Register(RegisterWorkerRequest request, ServerCallContext context)
        {
            state.Registrations.Enqueue(request);
            string id = $"w-{state.Registrations.Count}";
            state.Known[id] = true;
            return Task.FromResult(new RegisterWorkerResponse { WorkerId = id, HeartbeatIntervalMs = state.HeartbeatIntervalMs });
        }

        public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref state.Heartbeats);
            return Task.FromResult(new HeartbeatResponse { Known = state.Known.ContainsKey(request.WorkerId) });
        }

        public override Task<LeaveResponse> Leave(LeaveRequest request, ServerCallContext context) =>
            Task.FromResult(new LeaveResponse { Known = state.Known.TryRemove(request.WorkerId, out _) });
    }
}
