using DistributedTrainer.Coordinator.Services;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>A coordinator with small per-caller limits; every call here comes from one caller (no token, one address).</summary>
public sealed class CallerQuotaTests : IAsyncLifetime
{
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(options => options with
    {
        Limits = new CallerLimits { MaxQueuedJobs = 2, MaxWatches = 2, MaxSpecBytes = 64 * 1024 },
    });

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Fact]
    public async Task SubmitJob_PastMaxQueuedJobs_ResourceExhaustedNamingTheLimit()
    {
        await _coordinator.SubmitAsync(WaitingSpec());
        await _coordinator.SubmitAsync(WaitingSpec());

        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.SubmitAsync(WaitingSpec()));

        Assert.Equal(StatusCode.ResourceExhausted, failure.StatusCode);
        Assert.StartsWith("max_queued_jobs: 2 unfinished jobs", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitJob_AfterOneOfTheQueuedJobsIsCancelled_Accepted()
    {
        string first = await _coordinator.SubmitAsync(WaitingSpec());
        await _coordinator.SubmitAsync(WaitingSpec());
        await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = first }, _coordinator.Call());

        string third = await _coordinator.SubmitAsync(WaitingSpec());

        Assert.StartsWith("j-", third, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitJob_RefusedSpecs_DoNotCount()
    {
        var invalid = WaitingSpec();
        invalid.Epochs = -1;
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => _coordinator.SubmitAsync(invalid));
        }

        await _coordinator.SubmitAsync(WaitingSpec());
        await _coordinator.SubmitAsync(WaitingSpec());
    }

    [Fact]
    public async Task SubmitJob_SpecsPastMaxSpecBytes_ResourceExhaustedNamingTheLimit()
    {
        var spec = WaitingSpec();
        spec.Name = new string('n', 70 * 1024);

        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.SubmitAsync(spec));

        Assert.Equal(StatusCode.ResourceExhausted, failure.StatusCode);
        Assert.StartsWith("max_spec_bytes: ", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchJob_PastMaxWatches_ResourceExhaustedNamingTheLimit()
    {
        string jobId = await _coordinator.SubmitAsync(WaitingSpec());
        using var first = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
        using var second = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
        Assert.True(await first.ResponseStream.MoveNext());
        Assert.True(await second.ResponseStream.MoveNext());

        using var third = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
        var failure = await Assert.ThrowsAsync<RpcException>(() => third.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.ResourceExhausted, failure.StatusCode);
        Assert.StartsWith("max_watches: 2 open watches", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchJob_AfterTheWatchesAreClosed_AcceptedAgain()
    {
        string jobId = await _coordinator.SubmitAsync(WaitingSpec());
        for (int i = 0; i < 2; i++)
        {
            using var watch = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
            Assert.True(await watch.ResponseStream.MoveNext());
        }

        // The server frees a slot when it sees the cancellation, a moment after the client closed the call.
        // Past the deadline the refusal propagates and fails the test.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var again = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
            using var more = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
            try
            {
                Assert.True(await again.ResponseStream.MoveNext());
                Assert.True(await more.ResponseStream.MoveNext());
                break;
            }
            catch (RpcException refused) when (refused.StatusCode == StatusCode.ResourceExhausted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    // Waits for a worker that never registers: it stays unfinished until cancelled.
    private JobSpec WaitingSpec()
    {
        var spec = TestJobs.Spec(_coordinator.Directory, epochs: 1);
        spec.MinWorkers = 1;
        return spec;
    }
}
