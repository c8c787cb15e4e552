using System.Text;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Worker;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>A coordinator with a client token on the Jobs API and another token on the cluster services.</summary>
public sealed class SeparateCredentialsTests : IAsyncLifetime
{
    private const string ClientToken = "client-5e1b9c0d7a";
    private const string ClusterToken = "cluster-83f0a6e2d4";
    private readonly CapturedLogs _logs = new();
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(
        options => options with { ClientToken = ClientToken, ClusterToken = ClusterToken }, _logs.Provider());

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Fact]
    public async Task ListJobs_ClusterToken_Unauthenticated()
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), _coordinator.ClusterCall()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
    }

    [Fact]
    public async Task Register_ClientToken_Unauthenticated()
    {
        var request = new RegisterWorkerRequest { Address = "http://127.0.0.1:6000", Threads = 1 };

        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.Cluster.RegisterAsync(request, _coordinator.Call()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
    }

    [Fact]
    public async Task ListJobs_ClientToken_Served()
    {
        var listed = await _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), _coordinator.Call());

        Assert.Empty(listed.Jobs);
    }

    [Fact]
    public async Task Register_ClusterToken_GetsAnId()
    {
        string id = await _coordinator.RegisterWorkerAsync("http://127.0.0.1:6000");

        Assert.Equal("w-1", id);
    }

    [Fact]
    public async Task JobOnAWorker_BothTokens_NoLogLineEventSpanMetricOrFileContainsEither()
    {
        var workerLogs = new CapturedLogs();
        string telemetry = Path.Combine(_coordinator.Directory, "telemetry");
        var spec = TestJobs.Spec(_coordinator.Directory, epochs: 1);
        spec.MinWorkers = 1;
        List<JobEvent> events;
        using (TelemetrySetup.Start("credentials-test", telemetry))
        {
            string jobId = await _coordinator.SubmitAsync(spec);
            await using (await WorkerServer.StartAsync(new WorkerOptions(_coordinator.Server.Address, Threads: 1, Token: ClusterToken),
                builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(workerLogs.Provider())))
            {
                events = await _coordinator.WatchToEndAsync(jobId);
            }
            await _coordinator.Server.DisposeAsync();
        }

        Assert.Equal(JobState.Succeeded, TestCoordinator.FinalState(events));
        Assert.NotEmpty(Directory.EnumerateFiles(telemetry));
        string[] outputs = [.. _logs.Lines, .. workerLogs.Lines, .. events.Select(e => e.ToString()),
            .. Directory.EnumerateFiles(_coordinator.Directory, "*", SearchOption.AllDirectories)
                .Select(file => Encoding.Latin1.GetString(File.ReadAllBytes(file)))];
        Assert.NotEmpty(_logs.Lines);
        Assert.DoesNotContain(outputs, output => output.Contains(ClientToken, StringComparison.Ordinal) || output.Contains(ClusterToken, StringComparison.Ordinal));
    }
}
