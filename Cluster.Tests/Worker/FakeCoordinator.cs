using System.Collections.Concurrent;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// A tiny trainer.v1.Cluster service on 127.0.0.1 that records registrations and heartbeats; it forgets a worker
/// (heartbeat answers known=false) when told to, as a restarted coordinator would.
/// </summary>
internal sealed class FakeCoordinator : IAsyncDisposable
{
    private readonly GrpcHost _host;
    private readonly ConcurrentDictionary<string, bool> _known;
    private readonly State _state;

    private FakeCoordinator(GrpcHost host, State state)
    {
        _host = host;
        _state = state;
        _known = state.Known;
    }

    public Uri Address => _host.Address;

    public IReadOnlyCollection<RegisterWorkerRequest> Registrations => _state.Registrations;

    public int Heartbeats => _state.Heartbeats;

    public static async Task<FakeCoordinator> StartAsync(int port = 0, int heartbeatIntervalMs = 100)
    {
        var state = new State();
        var service = new GrpcServiceBuilder(ClusterMethods.Service)
            .Unary<RegisterWorkerRequest, RegisterWorkerResponse>("Register", (request, _) =>
            {
                state.Registrations.Enqueue(request);
                string id = $"w-{state.Registrations.Count}";
                state.Known[id] = true;
                return Task.FromResult(new RegisterWorkerResponse { WorkerId = id, HeartbeatIntervalMs = heartbeatIntervalMs });
            })
            .Unary<HeartbeatRequest, HeartbeatResponse>("Heartbeat", (request, _) =>
            {
                Interlocked.Increment(ref state.Heartbeats);
                return Task.FromResult(new HeartbeatResponse { Known = state.Known.ContainsKey(request.WorkerId) });
            })
            .Build();
        var router = new GrpcRouter();
        router.AddService(service);
        return new FakeCoordinator(await GrpcHost.StartAsync(router, new GrpcHostOptions { Port = port }), state);
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

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private sealed class State
    {
        public readonly ConcurrentQueue<RegisterWorkerRequest> Registrations = new();
        public readonly ConcurrentDictionary<string, bool> Known = new();
        public int Heartbeats;
    }
}
