using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// A run stopped mid-step whose backend then fails the step as the cluster backend does when the stop cuts its calls
/// (a <see cref="WorkerFailedException"/>, not a cancellation): the stop decides the outcome, not the cut call.
/// </summary>
public sealed class JobRunStopTests : IAsyncLifetime
{
    private const string JobId = "j-0123456789cd";
    private readonly TaskCompletionSource _stepStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private JobGrainsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobGrainsHost.StartAsync(CutOnStop);

    public Task DisposeAsync() => _host.DisposeAsync().AsTask();

    [Fact]
    public async Task Cancel_StepFailsAsTheCallsAreCut_Cancelled()
    {
        var grain = await StartBlockedJobAsync();

        await grain.Cancel();
        var ended = await WaitEndedAsync(grain);

        Assert.Equal(JobState.Cancelled, ended.State);
    }

    [Fact]
    public async Task CoordinatorStops_StepFailsAsTheCallsAreCut_StaysRunningToResume()
    {
        await StartBlockedJobAsync();
        var storage = _host.Storage;

        await _host.StopAsync();

        Assert.Equal(JobState.Running, (await storage.ReadAsync(JobId))?.State);
    }

    private async Task<IJobGrain> StartBlockedJobAsync()
    {
        _host.Workers.Register(new Uri("http://127.0.0.1:6001"), 1, "");
        var grain = _host.Grain(JobId);
        var spec = TestJobs.Spec(_host.Directory, epochs: 2);
        spec.MinWorkers = 1;
        await grain.Submit(spec);
        await _stepStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return grain;
    }

    private static async Task<Job> WaitEndedAsync(IJobGrain grain)
    {
        await foreach (var _ in grain.Watch())
        {
        }
        return (await grain.Get())!;
    }

    private IGradientBackend CutOnStop(string jobId, JobSpec spec, LoadedData data, Model model, IWorkerPool pool, Action<string> onEvent) =>
        new CutBackend(pool.Workers[0].Id, _stepStarted);

    /// <summary>Blocks in its first step until the run is stopped, then fails it naming the worker.</summary>
    private sealed class CutBackend(string workerId, TaskCompletionSource stepStarted) : IGradientBackend
    {
        public async ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
            CancellationToken cancellationToken)
        {
            stepStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            throw new WorkerFailedException(workerId, 0, step, "step", "Cancelled: the call was cut");
        }

        public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken) => ValueTask.FromResult(default(ShardResult));

        public void Dispose()
        {
        }
    }
}
