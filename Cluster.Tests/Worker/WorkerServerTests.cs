using System.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1;
using Microsoft.Extensions.Logging;
using Xunit;
using CollectiveRpc = DistributedTrainer.Protos.V1.Collective;

namespace DistributedTrainer.Tests.Worker;

public sealed class WorkerServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static WorkerOptions Options(Uri coordinator) =>
        new(coordinator, Threads: 2, Name: "pod-a") { MaxRetryDelay = TimeSpan.FromMilliseconds(200) };

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(10));

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
    public async Task LeaveAsync_CoordinatorGone_SaysItCouldNotTellItAndLeavesAtOnce()
    {
        var logs = new CapturedLogs();
        var coordinator = await FakeCoordinator.StartAsync();
        await using var worker = await WorkerServer.StartAsync(Options(coordinator.Address), logging => logging.AddProvider(logs.Provider()));
        Assert.True(await FakeCoordinator.WaitUntilAsync(() => worker.WorkerId == "w-1", Patience));
        await coordinator.DisposeAsync();

        var leaving = Stopwatch.StartNew();
        await worker.LeaveAsync(TimeSpan.FromSeconds(30));

        Assert.True(leaving.Elapsed < TimeSpan.FromSeconds(10), $"leaving took {leaving.Elapsed}");
        // The leave is one call: its failure says so, and nothing claims a retry or a wait that does not happen.
        Assert.Contains(logs.Lines, line => line.StartsWith("DistributedTrainer.Worker[13] Stopping: could not tell", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, line => line.StartsWith("DistributedTrainer.Worker[14] ", StringComparison.Ordinal) && line.Contains("leaving at once", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("waiting up to", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LeaveAsync_HoldingNoJob_SaysSoAndLeavesAtOnce()
    {
        var logs = new CapturedLogs();
        await using var coordinator = await FakeCoordinator.StartAsync();
        await using var worker = await WorkerServer.StartAsync(Options(coordinator.Address), logging => logging.AddProvider(logs.Provider()));
        Assert.True(await FakeCoordinator.WaitUntilAsync(() => worker.WorkerId == "w-1", Patience));

        var leaving = Stopwatch.StartNew();
        await worker.LeaveAsync(TimeSpan.FromSeconds(30));

        Assert.True(leaving.Elapsed < TimeSpan.FromSeconds(10), $"leaving took {leaving.Elapsed}");
        Assert.Contains(logs.Lines, line => line.StartsWith("DistributedTrainer.Worker[15] ", StringComparison.Ordinal) && line.Contains("it holds no job", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("waiting up to", StringComparison.Ordinal));
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
    public async Task StartAsync_CoordinatorFile_ServesFirstThenRegistersWithTheAddressWrittenThere()
    {
        string directory = Directory.CreateTempSubdirectory("dt-coordinator-file-").FullName;
        try
        {
            string file = Path.Combine(directory, "coordinator.url");
            await using var coordinator = await FakeCoordinator.StartAsync();
            var starting = WorkerServer.StartAsync(new WorkerOptions(null, Threads: 2, Name: "pod-a") { CoordinatorFile = file });
            await Task.Delay(300);
            Assert.False(starting.IsCompleted, "the worker registers only once the file holds the coordinator's address");

            DistributedTrainer.Reports.AtomicFile.WriteAllText(file, $"{coordinator.Address.ToString().TrimEnd('/')}\n");
            await using var worker = await starting.WaitAsync(Patience);

            Assert.True(await FakeCoordinator.WaitUntilAsync(() => worker.WorkerId == "w-1", Patience));
            Assert.Equal(worker.Address.ToString().TrimEnd('/'), Assert.Single(coordinator.Registrations).Address);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, "no coordinator address written within 0.3 s")]
    [InlineData("ftp://c:1", "(must be an http:// or https:// URL")]
    public async Task StartAsync_CoordinatorFileMissingOrNotAUrl_FailsNamingTheFile(string? content, string reason)
    {
        string directory = Directory.CreateTempSubdirectory("dt-coordinator-file-").FullName;
        try
        {
            string file = Path.Combine(directory, "coordinator.url");
            if (content is not null)
            {
                File.WriteAllText(file, content);
            }
            var options = new WorkerOptions(null) { CoordinatorFile = file, CoordinatorFileTimeout = TimeSpan.FromMilliseconds(300) };

            var failure = await Assert.ThrowsAnyAsync<Exception>(() => WorkerServer.StartAsync(options));

            Assert.IsType(content is null ? typeof(TimeoutException) : typeof(ArgumentException), failure);
            Assert.Contains($"--coordinator-file {file}", failure.Message, StringComparison.Ordinal);
            Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Registration_CoordinatorDownAtStart_RegistersOnceItIsUp()
    {
        int port = LoopbackPorts.OutsideEphemeralRange();
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
        using var channel = GrpcChannels.Create(worker.Address);
        using var call = new CollectiveRpc.CollectiveClient(channel).Subscribe(new RingSubscription { JobId = "j-1", FromRank = 0, ToRank = 1 }, Deadline());

        var failure = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
    }

    [Fact]
    public async Task StartAsync_PortZero_ServesHealthOnAFreeLoopbackPort()
    {
        await using var worker = await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Token: "secret"));
        using var channel = GrpcChannels.Create(worker.Address);

        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = "trainer.v1.WorkerControl" }, Deadline());

        Assert.Equal("127.0.0.1", worker.Address.Host);
        Assert.NotEqual(0, worker.Address.Port);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Reflection_ListServices_NamesWorkerControlAndCollective()
    {
        await using var worker = await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Token: "secret"));
        using var channel = GrpcChannels.Create(worker.Address);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(BearerToken.Headers("secret"), DateTime.UtcNow.AddSeconds(10));

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(service => service.Name).ToList();
        Assert.Contains(WorkerControl.Descriptor.FullName, services);
        Assert.Contains(CollectiveRpc.Descriptor.FullName, services);
    }

    [Fact]
    public async Task Reflection_FileContainingStep_DescribesTheOrdinaryMessages()
    {
        await using var worker = await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null));
        using var channel = GrpcChannels.Create(worker.Address);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "trainer.v1.WorkerControl.Step" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var file = Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto[0]);
        var step = file.Service.Single(service => service.Name == "WorkerControl").Method.Single(method => method.Name == "Step");
        Assert.Equal((".trainer.v1.StepRequest", ".trainer.v1.StepResponse", true, true), (step.InputType, step.OutputType, step.ClientStreaming, step.ServerStreaming));
    }

    [Fact]
    public async Task PrepareJob_DataOutsideTheWorkersDataRoots_InvalidArgumentNamingTheField()
    {
        using var data = new DistributedTrainer.Tests.Data.TemporaryDirectory();
        using var elsewhere = new DistributedTrainer.Tests.Data.TemporaryDirectory();
        var spec = DistributedTrainer.Tests.Cluster.ClusterJobs.WriteSpec(data.Path);
        await using var worker = await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Threads: 1) { DataRoots = [elsewhere.Path] });
        using var channel = GrpcChannels.Create(worker.Address);
        var request = new PrepareJobRequest { JobId = "j-1", Spec = spec, Rank = 0, WorldSize = 1, Ring = { worker.Address.ToString() }, Generation = 1 };

        var failure = await Assert.ThrowsAsync<RpcException>(() => new WorkerControl.WorkerControlClient(channel).PrepareJobAsync(request, Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains($"dataset.train_path: {spec.Dataset.TrainPath} is outside the data roots ({elsewhere.Path})", failure.Status.Detail, StringComparison.Ordinal);
    }
}
