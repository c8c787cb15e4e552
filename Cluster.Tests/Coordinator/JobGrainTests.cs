using System.Collections.Concurrent;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class JobGrainTests
{
    private const string JobId = "j-0123456789ab";
    private readonly MemoryStorage _storage = new();
    private readonly JobStopSignals _stopSignals = new();

    private JobGrain NewGrain() => new(JobId, _storage, _stopSignals, TimeProvider.System, NullLogger.Instance);

    [Fact]
    public async Task Cancel_QueuedJob_CancelledAndPersisted()
    {
        var grain = NewGrain();
        await grain.Submit(new JobSpec { Name = "n", Epochs = 2 });

        await grain.Cancel();

        Assert.Equal(JobState.Cancelled, _storage.Jobs[JobId].State);
    }

    [Fact]
    public async Task Cancel_RunningJob_SignalsTheRunAndStaysRunning()
    {
        var grain = NewGrain();
        await grain.Submit(new JobSpec { Name = "n", Epochs = 2 });
        using var stop = new CancellationTokenSource();
        _stopSignals.Register(JobId, stop);
        await grain.Start(1, "Training in the coordinator process.");

        var job = await grain.Cancel();

        Assert.Equal((JobState.Running, true), (job!.State, stop.IsCancellationRequested));
    }

    [Fact]
    public async Task Start_AfterRestartWhileRunning_ReturnsTheSpecAgain()
    {
        var first = NewGrain();
        await first.Submit(new JobSpec { Name = "n", Epochs = 2 });
        await first.Start(1, "Training in the coordinator process.");
        var restarted = NewGrain();
        await restarted.Activate();

        var spec = await restarted.Start(1, "Training in the coordinator process.");

        Assert.Equal("n", spec?.Name);
    }

    [Fact]
    public async Task ReportEpoch_SameEpochAgain_ReplacesIt()
    {
        var grain = NewGrain();
        await grain.Submit(new JobSpec { Name = "n", Epochs = 3 });
        await grain.Start(1, "Training in the coordinator process.");

        await grain.ReportEpoch(new EpochMetrics { Epoch = 1, TrainLoss = 1 }, null);
        await grain.ReportEpoch(new EpochMetrics { Epoch = 2, TrainLoss = 2 }, null);
        await grain.ReportEpoch(new EpochMetrics { Epoch = 2, TrainLoss = 3 }, null);

        Assert.Equal([(1, 1.0), (2, 3.0)], _storage.Jobs[JobId].Epochs.Select(e => (e.Epoch, e.TrainLoss)));
    }

    [Fact]
    public async Task Watch_EndedJob_SnapshotOnlyThenEnd()
    {
        var grain = NewGrain();
        await grain.Submit(new JobSpec { Name = "n", Epochs = 3 });
        await grain.Cancel();

        using var watch = await grain.Watch();
        var events = new List<JobEvent>();
        while (await watch!.ReadAsync(CancellationToken.None) is { } next)
        {
            events.Add(next);
        }

        Assert.Equal([JobEvent.EventOneofCase.Snapshot], events.Select(e => e.EventCase));
    }

    [Fact]
    public async Task Get_NeverSubmitted_Null()
    {
        var grain = NewGrain();
        await grain.Activate();

        Assert.Null(await grain.Get());
    }

    private sealed class MemoryStorage : IGrainStorage<Job>
    {
        public ConcurrentDictionary<string, Job> Jobs { get; } = new();

        public Task<Job?> ReadAsync(string key) => Task.FromResult(Jobs.TryGetValue(key, out var job) ? job.Clone() : null);

        public Task WriteAsync(string key, Job state)
        {
            Jobs[key] = state.Clone();
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<string>> ListKeysAsync() => Task.FromResult<IReadOnlyList<string>>([.. Jobs.Keys]);
    }
}
