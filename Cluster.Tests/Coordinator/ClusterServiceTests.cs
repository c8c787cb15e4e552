using DistributedTrainer.Protos.V1;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class ClusterServiceTests : IAsyncLifetime
{
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(token: "secret");

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Theory]
    [InlineData("127.0.0.1:6000")]
    [InlineData("/workers/1")]
    [InlineData("ftp://127.0.0.1:6000")]
    [InlineData("")]
    public async Task Register_NotAnHttpUrl_InvalidArgumentNamingAddress(string address)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.RegisterWorkerAsync(address));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.StartsWith("address: must be an absolute http(s) URL", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public async Task Register_ThreadsBelowOne_InvalidArgumentNamingThreads(int threads)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.RegisterWorkerAsync("http://127.0.0.1:6000", threads));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Equal($"threads: must be >= 1, got {threads}", failure.Status.Detail);
    }

    [Fact]
    public async Task Register_BadName_InvalidArgumentNamingName()
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.RegisterWorkerAsync("http://127.0.0.1:6000", name: "a b"));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.StartsWith("name: ", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_Valid_AssignsIdAndHeartbeatInterval()
    {
        var response = await _coordinator.Cluster.RegisterAsync(new RegisterWorkerRequest { Address = "http://127.0.0.1:6000", Threads = 2 }, _coordinator.ClusterCall());

        Assert.Equal(("w-1", 2000), (response.WorkerId, response.HeartbeatIntervalMs));
        Assert.Equal(1, _coordinator.Server.Workers.LiveCount);
    }

    [Fact]
    public async Task Heartbeat_RegisteredAndUnknown_KnownTrueThenFalse()
    {
        string id = await _coordinator.RegisterWorkerAsync("http://127.0.0.1:6000");

        var known = await _coordinator.Cluster.HeartbeatAsync(new HeartbeatRequest { WorkerId = id }, _coordinator.ClusterCall());
        var unknown = await _coordinator.Cluster.HeartbeatAsync(new HeartbeatRequest { WorkerId = "w-9" }, _coordinator.ClusterCall());

        Assert.Equal((true, false), (known.Known, unknown.Known));
    }

    [Fact]
    public async Task Heartbeat_IdRegisteredFromAnotherAddress_KnownFalse()
    {
        string id = await _coordinator.RegisterWorkerAsync("http://127.0.0.1:6000");

        var own = await _coordinator.Cluster.HeartbeatAsync(new HeartbeatRequest { WorkerId = id, Address = "http://127.0.0.1:6000" }, _coordinator.ClusterCall());
        var other = await _coordinator.Cluster.HeartbeatAsync(new HeartbeatRequest { WorkerId = id, Address = "http://127.0.0.1:7000" }, _coordinator.ClusterCall());

        Assert.Equal((true, false), (own.Known, other.Known));
    }

    [Fact]
    public async Task Register_WithoutToken_Unauthenticated()
    {
        var request = new RegisterWorkerRequest { Address = "http://127.0.0.1:6000", Threads = 1 };

        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.Cluster.RegisterAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
        Assert.Equal(0, _coordinator.Server.Workers.LiveCount);
    }
}
