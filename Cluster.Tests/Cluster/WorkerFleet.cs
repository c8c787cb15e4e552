using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Worker;
using DistributedTrainer.Worker.Faults;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>Real WorkerServers on 127.0.0.1 (free ports) in this process, without a coordinator; disposed together.</summary>
internal sealed class WorkerFleet : IAsyncDisposable
{
    private readonly List<WorkerServer> _servers = [];

    private WorkerFleet()
    {
    }

    public IReadOnlyList<WorkerServer> Servers => _servers;

    /// <summary>The workers as a backend's ring: ids w-1, w-2, ... by rank.</summary>
    public IReadOnlyList<WorkerEndpoint> Endpoints =>
        [.. _servers.Select((server, rank) => new WorkerEndpoint($"w-{rank + 1}", server.Address, 1))];

    /// <param name="count">Workers to start.</param>
    /// <param name="token">Bearer token the workers require.</param>
    /// <param name="faults">Ring faults of the worker at each rank; none when null.</param>
    /// <param name="shardBoard">The directory of the shard boards the workers share (<c>--shard-board</c>); none when null.</param>
    /// <param name="ringSharedMemory">The directory of the ring's shared-memory inboxes (<c>--ring-shared-memory</c>); none when null.</param>
    public static async Task<WorkerFleet> StartAsync(int count, string? token = null, Func<int, WorkerFaults>? faults = null, string? shardBoard = null,
        string? ringSharedMemory = null)
    {
        var fleet = new WorkerFleet();
        try
        {
            for (int i = 0; i < count; i++)
            {
                fleet._servers.Add(await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Threads: 1, Token: token)
                {
                    Faults = faults?.Invoke(i) ?? WorkerFaults.None,
                    ShardBoardDirectory = shardBoard,
                    RingSharedMemoryDirectory = ringSharedMemory,
                }));
            }
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }
}
