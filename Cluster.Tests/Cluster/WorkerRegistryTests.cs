using DistributedTrainer.Coordinator.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

public sealed class WorkerRegistryTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly ManualTimeProvider _clock = new();
    private readonly WorkerRegistry _registry;

    public WorkerRegistryTests() => _registry = new WorkerRegistry(_clock, Interval, NullLogger.Instance);

    public void Dispose() => _registry.Dispose();

    private static Uri Address(int port) => new($"http://127.0.0.1:{port}");

    [Fact]
    public void Register_NoNames_AssignsW1W2InOrder()
    {
        var first = _registry.Register(Address(6001), 2, "");
        var second = _registry.Register(Address(6002), 4, "");

        Assert.Equal(("w-1", "w-2"), (first.Id, second.Id));
        Assert.Equal(["w-1", "w-2"], _registry.Live.Select(worker => worker.Id));
    }

    [Fact]
    public void Register_FreeName_UsesTheName()
    {
        var worker = _registry.Register(Address(6001), 1, "pod-a");

        Assert.Equal("pod-a", worker.Id);
    }

    [Fact]
    public void Register_NameOfAnAssignedId_AssignsTheNextId()
    {
        _registry.Register(Address(6001), 1, "");

        var worker = _registry.Register(Address(6002), 1, "w-1");

        Assert.Equal("w-2", worker.Id);
        Assert.Equal(2, _registry.LiveCount);
    }

    [Fact]
    public void Register_SameNameFromNewAddress_ReplacesTheRestartedWorker()
    {
        _registry.Register(Address(6001), 1, "pod-a");

        var restarted = _registry.Register(Address(7001), 1, "pod-a");

        Assert.Equal([("pod-a", Address(7001))], _registry.Live.Select(worker => (worker.Id, worker.Address)));
        Assert.Equal("pod-a", restarted.Id);
    }

    [Fact]
    public void Register_SameAddressAfterExpiry_GetsItsIdBack()
    {
        _registry.Register(Address(6001), 1, "");
        _registry.Register(Address(6002), 1, "");
        _clock.Advance(Interval);
        _registry.Heartbeat("w-2", Address(6002));
        _clock.Advance(Interval * 2);

        var back = _registry.Register(Address(6001), 1, "");

        Assert.Equal("w-1", back.Id);
        Assert.Equal(["w-1", "w-2"], _registry.Live.Select(worker => worker.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Register_SameAddressWhileLive_KeepsIdAndCount()
    {
        _registry.Register(Address(6001), 1, "");

        var again = _registry.Register(Address(6001), 8, "");

        Assert.Equal(("w-1", 8, 1), (again.Id, _registry.Live[0].Threads, _registry.LiveCount));
    }

    [Fact]
    public void Heartbeat_UnknownId_False()
    {
        Assert.False(_registry.Heartbeat("w-9", Address(6009)));
    }

    [Fact]
    public void Heartbeat_IdLiveAtAnotherAddress_FalseAndTheOtherWorkerExpires()
    {
        // A restarted coordinator: the worker at 6002 registered first and got w-1, the id the worker at 6001
        // still holds from before the restart. Its heartbeats must send it to register, not keep 6002's entry alive.
        _registry.Register(Address(6002), 1, "");
        _clock.Advance(Interval * (WorkerRegistry.MissedHeartbeats - 1));

        bool known = _registry.Heartbeat("w-1", Address(6001));
        _clock.Advance(Interval);

        Assert.False(known);
        Assert.Equal(0, _registry.LiveCount);
    }

    [Fact]
    public void Heartbeat_WithoutAddress_ChecksTheIdAlone()
    {
        _registry.Register(Address(6001), 1, "");

        Assert.True(_registry.Heartbeat("w-1", null));
    }

    [Fact]
    public void Expiry_ThreeIntervalsWithoutHeartbeat_DropsTheWorkerAndNotifies()
    {
        _registry.Register(Address(6001), 1, "");
        int changes = 0;
        _registry.Changed += () => changes++;

        _clock.Advance(Interval * WorkerRegistry.MissedHeartbeats);

        Assert.Equal((0, 1), (_registry.LiveCount, changes));
        Assert.False(_registry.Heartbeat("w-1", Address(6001)));
    }

    [Fact]
    public void Expiry_HeartbeatEveryInterval_KeepsTheWorker()
    {
        _registry.Register(Address(6001), 1, "");

        for (int i = 0; i < 10; i++)
        {
            _clock.Advance(Interval);
            Assert.True(_registry.Heartbeat("w-1", Address(6001)));
        }

        Assert.Equal(1, _registry.LiveCount);
    }

    [Fact]
    public void TryLease_MaxWorkers_TakesAtMostMaxEarliestFirst()
    {
        for (int port = 6001; port <= 6003; port++)
        {
            _registry.Register(Address(port), 1, "");
        }

        using var lease = _registry.TryLease("j-1", 1, 2);

        Assert.Equal(["w-1", "w-2"], lease!.Workers.Select(worker => worker.Id));
        Assert.Equal(1, _registry.FreeCount);
    }

    [Fact]
    public void TryLease_ZeroMax_TakesEveryFreeWorker()
    {
        _registry.Register(Address(6001), 1, "");
        _registry.Register(Address(6002), 1, "");

        using var lease = _registry.TryLease("j-1", 1, 0);

        Assert.Equal(2, lease!.Workers.Count);
    }

    [Fact]
    public void TryLease_FewerFreeThanMinimum_NothingLeased()
    {
        _registry.Register(Address(6001), 1, "");
        _registry.Register(Address(6002), 1, "");
        using var held = _registry.TryLease("j-1", 1, 1);

        var lease = _registry.TryLease("j-2", 2, 0);

        Assert.Null(lease);
        Assert.Equal(1, _registry.FreeCount);
    }

    [Fact]
    public void Dispose_Lease_FreesTheWorkersAndNotifies()
    {
        _registry.Register(Address(6001), 1, "");
        var lease = _registry.TryLease("j-1", 1, 0);
        int changes = 0;
        _registry.Changed += () => changes++;

        lease!.Dispose();

        Assert.Equal((1, 1), (_registry.FreeCount, changes));
    }

    [Fact]
    public void Drop_ProcessGone_LeavesTheLeaseAndTheRegistry()
    {
        _registry.Register(Address(6001), 1, "");
        var second = _registry.Register(Address(6002), 1, "");
        using var lease = _registry.TryLease("j-1", 1, 0)!;

        _registry.Drop(lease, second, gone: true);

        Assert.Equal(["w-1"], lease.Workers.Select(worker => worker.Id));
        Assert.Equal((1, 0), (_registry.LiveCount, _registry.FreeCount));
    }

    [Fact]
    public void Drop_Alive_LeavesTheLeaseAndIsFreeForOtherJobs()
    {
        _registry.Register(Address(6001), 1, "");
        var second = _registry.Register(Address(6002), 1, "");
        using var lease = _registry.TryLease("j-1", 1, 0)!;

        _registry.Drop(lease, second, gone: false);

        Assert.Equal(["w-1"], lease.Workers.Select(worker => worker.Id));
        Assert.Equal((2, 1), (_registry.LiveCount, _registry.FreeCount));
    }

    [Fact]
    public void LeaseMore_LeasedWorkerExpiredAndRegisteredAgain_HeldOnceAndNotFree()
    {
        _registry.Register(Address(6001), 1, "");
        using var lease = _registry.TryLease("j-1", 1, 0)!;
        // Heartbeats missed on a busy machine: the worker expires while its job holds it, then registers again.
        _clock.Advance(Interval * WorkerRegistry.MissedHeartbeats);
        _registry.Register(Address(6001), 1, "");

        var added = _registry.LeaseMore(lease, 5, new HashSet<string>(StringComparer.Ordinal));

        Assert.Empty(added);
        Assert.Equal(["w-1"], lease.Workers.Select(worker => worker.Id));
        Assert.Equal(0, _registry.FreeCount);
    }

    [Fact]
    public void LeaseMore_FreeWorkersAfterTheLease_AddsThemExceptTheExcluded()
    {
        _registry.Register(Address(6001), 1, "");
        using var lease = _registry.TryLease("j-1", 1, 0)!;
        _registry.Register(Address(6002), 1, "");
        _registry.Register(Address(6003), 1, "");

        var added = _registry.LeaseMore(lease, 5, new HashSet<string>(["w-2"], StringComparer.Ordinal));

        Assert.Equal(["w-3"], added.Select(worker => worker.Id));
        Assert.Equal(["w-1", "w-3"], lease.Workers.Select(worker => worker.Id));
        Assert.Equal(1, _registry.FreeCount);
    }

    [Fact]
    public void Leave_FreeWorker_LeavesTheRegistry()
    {
        _registry.Register(Address(6001), 1, "");

        bool known = _registry.Leave("w-1", Address(6001));

        Assert.Equal((true, 0), (known, _registry.LiveCount));
    }

    [Fact]
    public void Leave_UnknownWorker_False()
    {
        Assert.False(_registry.Leave("w-9", null));
    }

    [Fact]
    public void Leave_AnotherWorkersAddress_FalseAndStaysRegistered()
    {
        _registry.Register(Address(6001), 1, "");

        bool known = _registry.Leave("w-1", Address(6002));

        Assert.Equal((false, 1), (known, _registry.LiveCount));
    }

    [Fact]
    public void TakeLeaving_LeasedWorkerLeft_HandedToItsJobOnce()
    {
        _registry.Register(Address(6001), 1, "");
        _registry.Register(Address(6002), 1, "");
        using var lease = _registry.TryLease("j-1", 1, 0)!;
        _registry.Leave("w-2", null);

        var first = _registry.TakeLeaving(lease);
        var second = _registry.TakeLeaving(lease);

        Assert.Equal(("w-2", 0), (string.Join(",", first.Select(worker => worker.Id)), second.Count));
    }

    [Fact]
    public void TakeLeaving_LeasedWorkerLeft_StaysInTheLeaseUntilDropped()
    {
        _registry.Register(Address(6001), 1, "");
        using var lease = _registry.TryLease("j-1", 1, 0)!;

        _registry.Leave("w-1", null);

        Assert.Equal(["w-1"], lease.Workers.Select(worker => worker.Id));
    }
}
