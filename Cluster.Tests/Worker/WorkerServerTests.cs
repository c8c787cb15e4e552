using DistributedTrainer.Rpc;
using DistributedTrainer.Worker;
using DistributedTrainer.Worker.Collective;
using Grpc.Health.V1;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

public sealed class WorkerServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly Method<HealthCheckRequest, HealthCheckResponse> HealthCheck = new(HealthReflection.Descriptor.Services[0].FindMethodByName("Check"));

    private static WorkerOptions Options(Uri coordinator) =>
        new(coordinator, Threads: 2, Name: "pod-a") { MaxRetryDelay = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task StartAsync_WithCoordinator_RegistersItsAddressAndHeartbeats()
    {
        await using var coordinator = await FakeCoordinator.StartAsync();
        await using var worker = await WorkerServer.StartAsync(Options(coordinator.Address));

        Assert.True(await FakeCoordinator.WaitUntilAsync(() => coordinator.Heartbeats >= 2, Patience));
        var registration = Assert.Single(coordinator.Registrations);
        Assert.Equal((worker.Address.ToString().TrimEnd('/'), 2, "pod-a"), (registration.Address, registration.Threads, registration.Name));
        Assert.Equal("w-1", worker.WorkerId);
    }

    [Fact]
    public async Task Heartbeat_CoordinatorForgotTheWorker_RegistersAgain()
    {
        await using var coordinator = await FakeCoordinator.StartAsync();
        await using var worker = await WorkerServer.StartAsync(Options(coordinator.Address));
        Assert.True(await FakeCoordinator.WaitUntilAsync(() => worker.WorkerId == "w-1", Patience));

        coordinator.ForgetAll();

        Assert.True(await FakeCoordinator.WaitUntilAsync(() => worker.WorkerId == "w-2", Patience));
    }

    [Fact]
    public async Task Registration_CoordinatorDownAtStart_RegistersOnceItIsUp()
    {
        int port;
        await using (var gone = await FakeCoordinator.StartAsync())
        {
            port = gone.Address.Port;
        }
        await using var worker = await WorkerServer.StartAsync(Options(new Uri($"http://127.0.0.1:{port}")));
        await Task.Delay(300);
        Assert.Null(worker.WorkerId);

        await using var coordinator = await FakeCoordinator.StartAsync(port);

        Assert.True(await FakeCoordinator.WaitUntilAsync(() => worker.WorkerId is not null, Patience));
    }

    [Fact]
    public async Task Collective_WithoutTheTokenOnAWorkerThatRequiresOne_IsUnauthenticated()
    {
        await using var worker = await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Token: "secret"));
        using var channel = new RpcChannel(worker.Address);
        using var call = channel.ClientStreaming(CollectiveMethods.Exchange, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));

        var failure = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
    }

    [Fact]
    public async Task StartAsync_PortZero_ServesHealthOnAFreeLoopbackPort()
    {
        await using var worker = await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Token: "secret"));
        using var channel = new RpcChannel(worker.Address);

        var health = await channel.UnaryAsync(HealthCheck, new HealthCheckRequest { Service = "trainer.v1.WorkerControl" }, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));

        Assert.Equal("127.0.0.1", worker.Address.Host);
        Assert.NotEqual(0, worker.Address.Port);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }
}
