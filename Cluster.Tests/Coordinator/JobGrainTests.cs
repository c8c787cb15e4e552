using System.Diagnostics;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>The job grain in a real silo: its contract, and that it answers while its run computes a step.</summary>
public sealed class JobGrainTests : IAsyncLifetime
{
    private const string JobId = "j-0123456789ab";
    private readonly BlockingBackends _backends = new();
    private JobGrainsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobGrainsHost.StartAsync(_backends.Create);

    public async Task DisposeAsync()
    {
        _backends.Release();
        await _host.DisposeAsync();
    }

    private JobSpec Spec(int minWorkers, int epochs = 2)
    {
        var spec = TestJobs.Spec(_host.Directory, epochs);
        spec.MinWorkers = minWorkers;
        return spec;
    }

    [Fact]
    public async Task Cancel_WaitingJob_CancelledAndPersisted()
    {
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 2));

        await grain.Cancel();

        Assert.Equal(JobState.Cancelled, (await _host.Storage.ReadAsync(JobId))?.State);
    }

    [Fact]
    public async Task Submit_IdTaken_InvalidOperation()
    {
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 2));

        await Assert.ThrowsAsync<InvalidOperationException>(() => grain.Submit(Spec(minWorkers: 2)));
    }

    [Fact]
    public async Task Get_NeverSubmitted_Null()
    {
        Assert.Null(await _host.Grain(JobId).Get());
    }

    [Fact]
    public async Task Watch_EndedJob_SnapshotThenItsEventsInWordsThenEnd()
    {
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 2));
        await grain.Cancel();

        var events = new List<JobEvent>();
        await foreach (var jobEvent in grain.Watch())
        {
            events.Add(jobEvent);
        }

        Assert.Equal(JobEvent.EventOneofCase.Snapshot, events[0].EventCase);
        Assert.All(events.Skip(1), jobEvent => Assert.Equal(JobEvent.EventOneofCase.Message, jobEvent.EventCase));
        Assert.Equal("Cancelled before it started.", events[^1].Message);
    }

    [Fact]
    public async Task Watch_AttachedAfterAnEventInWords_HearsItRightAfterTheSnapshot()
    {
        _host.Workers.Register(new Uri("http://127.0.0.1:6001"), 1, "");
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 1));
        await _backends.StepStarted.WaitAsync(TimeSpan.FromSeconds(30));
        await grain.Cancel();

        var events = new List<JobEvent>();
        await foreach (var jobEvent in grain.Watch())
        {
            events.Add(jobEvent);
            if (events.Count == 1)
            {
                _backends.Release();
            }
        }

        Assert.Equal(JobEvent.EventOneofCase.Snapshot, events[0].EventCase);
        var replayed = events.Skip(1).TakeWhile(jobEvent => jobEvent.EventCase == JobEvent.EventOneofCase.Message).Select(jobEvent => jobEvent.Message);
        Assert.Contains("Cancel requested: stopping at the next step boundary.", replayed);
    }

    [Fact]
    public async Task GetWatchCancel_WhileAStepComputes_EachAnswersWithin100Ms()
    {
        _host.Workers.Register(new Uri("http://127.0.0.1:6001"), 1, "");
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 1));
        await _backends.StepStarted.WaitAsync(TimeSpan.FromSeconds(30));

        var get = Stopwatch.StartNew();
        var job = await grain.Get();
        get.Stop();
        var watch = Stopwatch.StartNew();
        await using var events = grain.Watch().GetAsyncEnumerator();
        await events.MoveNextAsync();
        watch.Stop();
        var cancel = Stopwatch.StartNew();
        await grain.Cancel();
        cancel.Stop();
        _backends.Release();

        Assert.Equal(JobState.Running, job?.State);
        Assert.True(get.ElapsedMilliseconds < 100, $"get took {get.ElapsedMilliseconds} ms");
        Assert.True(watch.ElapsedMilliseconds < 100, $"watch took {watch.ElapsedMilliseconds} ms");
        Assert.True(cancel.ElapsedMilliseconds < 100, $"cancel took {cancel.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Cancel_RunningJob_CancelledAtTheNextStepBoundary()
    {
        _host.Workers.Register(new Uri("http://127.0.0.1:6001"), 1, "");
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 1));
        await _backends.StepStarted.WaitAsync(TimeSpan.FromSeconds(30));

        var job = await grain.Cancel();
        _backends.Release();
        var states = new List<JobState>();
        await foreach (var jobEvent in grain.Watch())
        {
            if (jobEvent.EventCase is JobEvent.EventOneofCase.Snapshot or JobEvent.EventOneofCase.State)
            {
                states.Add(jobEvent.EventCase == JobEvent.EventOneofCase.Snapshot ? jobEvent.Snapshot.State : jobEvent.State);
            }
        }

        Assert.Equal(JobState.Running, job?.State);
        Assert.Equal(JobState.Cancelled, states[^1]);
    }

    [Fact]
    public async Task Watch_RunningJobPastItsFirstSteps_HistoryRunsFromTheFirstStepToTheSnapshotsStep()
    {
        var grain = await LocalJobPastStepAsync(20);

        await using var events = grain.Watch().GetAsyncEnumerator();
        await events.MoveNextAsync();
        var snapshot = events.Current.Snapshot;
        await events.MoveNextAsync();
        var history = events.Current.History;
        await grain.Cancel();

        Assert.Equal((1L, snapshot.Progress.Step), (history.Steps[0].Step, history.Steps[^1].Step));
    }

    [Fact]
    public async Task Watch_RunningJobPastItsFirstSteps_FirstLiveStepFollowsTheHistorysLast()
    {
        var grain = await LocalJobPastStepAsync(20);

        await using var events = grain.Watch().GetAsyncEnumerator();
        await events.MoveNextAsync();
        await events.MoveNextAsync();
        long last = events.Current.History.Steps[^1].Step;
        do
        {
            Assert.True(await events.MoveNextAsync(), "the watch ended before a live step");
        }
        while (events.Current.EventCase != JobEvent.EventOneofCase.Step);
        long live = events.Current.Step.Step;
        await grain.Cancel();

        Assert.Equal(last + 1, live);
    }

    [Fact]
    public async Task Watch_RunningJob_EveryStepOnceInOrderAndEachEpochAfterItsLastStep()
    {
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 0, epochs: 20));
        var steps = new List<long>();
        var epochs = new List<(long Step, long StepsSeen)>();

        // Steps reach the grain in batches (JobRunReports): each must still come once, in order (the history holds those
        // before the watch began: all of them, for a job this short), and before the epoch that ends with it.
        await foreach (var jobEvent in grain.Watch())
        {
            if (jobEvent.EventCase == JobEvent.EventOneofCase.History)
            {
                steps.AddRange(jobEvent.History.Steps.Select(step => step.Step));
            }
            else if (jobEvent.EventCase == JobEvent.EventOneofCase.Step)
            {
                steps.Add(jobEvent.Step.Step);
            }
            else if (jobEvent.EventCase == JobEvent.EventOneofCase.Epoch)
            {
                epochs.Add((jobEvent.Epoch.Step, steps.Count == 0 ? 0 : steps[^1]));
            }
        }

        // 200 samples in batches of 16: 13 steps an epoch.
        Assert.Equal(Enumerable.Range(1, 20 * 13).Select(step => (long)step), steps);
        Assert.NotEmpty(epochs);
        Assert.All(epochs, epoch => Assert.Equal(epoch.Step, epoch.StepsSeen));
        Assert.Equal(JobState.Succeeded, (await grain.Get())!.State);
    }

    /// <summary>Submits a long job that trains in this process (no worker) and waits until it is past <paramref name="step"/>.</summary>
    private async Task<IJobGrain> LocalJobPastStepAsync(long step)
    {
        var grain = _host.Grain(JobId);
        await grain.Submit(Spec(minWorkers: 0, epochs: 400));
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while ((await grain.Get())!.Progress.Step <= step)
        {
            Assert.True(DateTime.UtcNow < end, $"job {JobId} is not past step {step} after a minute");
            await Task.Delay(20);
        }
        return grain;
    }

    /// <summary>Cluster backends whose first step blocks until the test releases it, computing in process after.</summary>
    private sealed class BlockingBackends
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task StepStarted => _started.Task;

        public void Release() => _released.TrySetResult();

        public IGradientBackend Create(string jobId, JobSpec spec, DistributedTrainer.Data.LoadedData data,
            DistributedTrainer.Numerics.Layers.Model model, DistributedTrainer.Coordinator.Cluster.IWorkerPool pool, Action<string> onEvent) =>
            new Blocking(new LocalGradientBackend(spec, data, model, shardEngines: 1), this);

        private sealed class Blocking(LocalGradientBackend inner, BlockingBackends gate) : IGradientBackend
        {
            public async ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
                CancellationToken cancellationToken)
            {
                gate._started.TrySetResult();
                await gate._released.Task;
                return await inner.ComputeAsync(step, batch, gradient, cancellationToken);
            }

            public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken) =>
                inner.EvaluateAsync(split, cancellationToken);

            public void Dispose() => inner.Dispose();
        }
    }
}
