using DistributedTrainer.Protos.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class CoordinatorAuthTests : IAsyncLifetime
{
    private const string Token = "s3cret-token-7f1c";
    private readonly CapturedLogs _logs = new();
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(Token, _logs.Provider());

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Fact]
    public async Task ListJobs_WithoutToken_Unauthenticated()
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), new CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(10))).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
    }

    [Fact]
    public async Task ListJobs_WrongToken_Unauthenticated()
    {
        var options = new CallOptions(new Metadata { { "authorization", "Bearer wrong" } }, DateTime.UtcNow.AddSeconds(10));

        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), options).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
    }

    [Fact]
    public async Task SubmitJob_WithToken_RunsToSuccess()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));

        var events = await _coordinator.WatchToEndAsync(jobId);

        Assert.Equal(JobState.Succeeded, TestCoordinator.FinalState(events));
    }

    [Fact]
    public async Task HealthCheck_WithoutToken_Serving()
    {
        var health = new Health.HealthClient(_coordinator.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest { Service = "trainer.v1.Jobs" }, deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Logs_CallsWithAndWithoutToken_NeverContainTheToken()
    {
        await Assert.ThrowsAsync<RpcException>(() =>
            _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), new CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(10))).ResponseAsync);
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));
        await _coordinator.WatchToEndAsync(jobId);
        await _coordinator.Server.DisposeAsync();

        Assert.NotEmpty(_logs.Lines);
        Assert.DoesNotContain(_logs.Lines, line => line.Contains(Token, StringComparison.Ordinal));
    }
}
