using System.Diagnostics;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using DistributedTrainer.Tests.Cluster;
using DistributedTrainer.Worker;
using Xunit;
using Xunit.Abstractions;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// A real coordinator and real workers in this process over gRPC on loopback, while workers fail and join and the
/// coordinator restarts: every job completes with bitwise the parameters of an undisturbed run.
/// </summary>
public sealed class ElasticClusterJobTests(ITestOutputHelper output) : IAsyncLifetime, IAsyncDisposable
{
    private readonly InProcessCluster _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    // xUnit 2 calls IAsyncLifetime.DisposeAsync on a test class, never IAsyncDisposable's.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Job_OneOfThreeWorkersKilledMidStep_CompletesOnTheOthersBitwiseEqualToTheInProcessRun()
    {
        var coordinator = await _cluster.StartCoordinatorAsync();
        var spec = Spec(epochs: 3);
        string local = await RunToEndAsync(coordinator, spec);
        spec.MinWorkers = 2;
        await _cluster.StartWorkersAsync(coordinator, 3);

        string clustered = await InProcessCluster.SubmitAsync(coordinator, spec);
        var killed = _cluster.Workers[1];
        string killedId = killed.WorkerId!;
        var events = await WatchAsync(coordinator, clustered, jobEvent => jobEvent.Step?.Step >= 5 ? killed.DisposeAsync().AsTask() : null);
        var job = await InProcessCluster.GetAsync(coordinator, clustered);

        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(_cluster.ModelBytes(local), _cluster.ModelBytes(clustered));
        Assert.Contains(Messages(events), message => message.StartsWith($"worker {killedId} (rank ", StringComparison.Ordinal)
            && message.Contains(") is gone (", StringComparison.Ordinal)
            && message.Contains("at step ", StringComparison.Ordinal) && message.Contains("re-running the step on ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Job_FewerThanMinWorkersLeft_WaitsForWorkersThenContinuesBitwiseEqual()
    {
        var coordinator = await _cluster.StartCoordinatorAsync();
        var spec = Spec(epochs: 3);
        string local = await RunToEndAsync(coordinator, spec);
        spec.MinWorkers = 2;
        await _cluster.StartWorkersAsync(coordinator, 2);

        string clustered = await InProcessCluster.SubmitAsync(coordinator, spec);
        var events = await WatchAsync(coordinator, clustered,
            jobEvent => jobEvent.Step?.Step >= 5 ? _cluster.Workers[1].DisposeAsync().AsTask() : null,
            jobEvent => jobEvent.State == JobState.WaitingForWorkers ? _cluster.StartWorkersAsync(coordinator, 1) : null);
        var job = await InProcessCluster.GetAsync(coordinator, clustered);

        var messages = Messages(events);
        Assert.Equal((JobState.Succeeded, 2), (job.State, job.Progress.Workers));
        Assert.Equal(_cluster.ModelBytes(local), _cluster.ModelBytes(clustered));
        Assert.Contains(messages, message => message.StartsWith("waiting for workers: 1 of 2 after losing ", StringComparison.Ordinal));
        Assert.Contains(messages, message => message.StartsWith("Workers are back: running on ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Job_WorkerAddedMidJob_JoinsAtTheNextStepAndTheResultIsUnchanged()
    {
        var coordinator = await _cluster.StartCoordinatorAsync();
        // 30 epochs of 10 steps: the watch, which may lag behind the job on a loaded machine, sees step 3 and the
        // second worker registers long before the job's last step.
        var spec = Spec(epochs: 30);
        string local = await RunToEndAsync(coordinator, spec);
        spec.MinWorkers = 1;
        spec.MaxWorkers = 2;
        await _cluster.StartWorkersAsync(coordinator, 1);

        string clustered = await InProcessCluster.SubmitAsync(coordinator, spec);
        var events = await WatchAsync(coordinator, clustered, jobEvent => jobEvent.Step?.Step >= 3 && _cluster.Workers.Count == 1
            ? _cluster.StartWorkersAsync(coordinator, 1)
            : null);
        var job = await InProcessCluster.GetAsync(coordinator, clustered);

        Assert.Equal((JobState.Succeeded, 2), (job.State, job.Progress.Workers));
        Assert.Equal(_cluster.ModelBytes(local), _cluster.ModelBytes(clustered));
        Assert.Contains(Messages(events), message => message.StartsWith($"{_cluster.Workers[1].WorkerId} joined job {clustered} at step ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Job_CoordinatorRestartedMidEpoch_WorkersReRegisterAndTheJobCompletesBitwiseEqual()
    {
        var first = await _cluster.StartCoordinatorAsync(port: LoopbackPorts.OutsideEphemeralRange());
        // 30 epochs of 10 steps: still running when the watch, which may lag behind the job on a loaded machine, sees step 12.
        var spec = Spec(epochs: 30);
        string local = await RunToEndAsync(first, spec);
        spec.MinWorkers = 2;
        await _cluster.StartWorkersAsync(first, 2);
        string clustered = await InProcessCluster.SubmitAsync(first, spec);
        await WatchAsync(first, clustered, jobEvent => jobEvent.Step?.Step >= 12 ? Task.FromException(new OperationCanceledException()) : null);
        await first.DisposeAsync();

        var second = await _cluster.StartCoordinatorAsync(port: first.Address.Port);
        var events = await WatchAsync(second, clustered);
        var job = await InProcessCluster.GetAsync(second, clustered);

        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(_cluster.ModelBytes(local), _cluster.ModelBytes(clustered));
        Assert.Contains(Messages(events), message => message.StartsWith("Resuming from checkpoint step-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Job_NewestCheckpointDamaged_ResumesFromThePreviousOneAndSaysSo()
    {
        var first = await _cluster.StartCoordinatorAsync(port: LoopbackPorts.OutsideEphemeralRange());
        // Far too long to end within the test: it stops with the coordinator, the second one resumes it, and the
        // test ends once it has said where it resumed (disposing the coordinator stops it again).
        var spec = Spec(epochs: 10_000);
        spec.MinWorkers = 1;
        await _cluster.StartWorkersAsync(first, 1);
        string jobId = await InProcessCluster.SubmitAsync(first, spec);
        await WatchAsync(first, jobId, jobEvent => jobEvent.Epoch?.Epoch >= 2 ? Task.FromException(new OperationCanceledException()) : null);
        await first.DisposeAsync();
        await _cluster.Workers[0].DisposeAsync();
        var checkpoints = new CheckpointStore(_cluster.CheckpointDirectory(jobId)).List();
        await File.WriteAllBytesAsync(Path.Combine(checkpoints[0], CheckpointStore.ModelFile), [1, 2, 3]);

        // The job waits for a worker until the watch is there, so the watch sees every event of the resume.
        var second = await _cluster.StartCoordinatorAsync(port: first.Address.Port);
        var events = await WatchAsync(second, jobId,
            jobEvent => jobEvent.Snapshot is not null ? _cluster.StartWorkersAsync(second, 1) : null,
            jobEvent => jobEvent.Message.StartsWith("Resuming from checkpoint ", StringComparison.Ordinal)
                ? Task.FromException(new OperationCanceledException())
                : null);

        var messages = Messages(events);
        Assert.Contains(messages, message => message.StartsWith($"Checkpoint {Path.GetFileName(checkpoints[0])} is damaged and was skipped: ", StringComparison.Ordinal));
        Assert.Contains($"Resuming from checkpoint {Path.GetFileName(checkpoints[1])}", messages);
    }

    private JobSpec Spec(int epochs)
    {
        var spec = ClusterJobs.WriteSpec(_cluster.Directory, epochs);
        // Small deadlines: a lost worker is named within seconds on this busy machine.
        spec.FaultTolerance = new FaultToleranceSpec { DeadlineFloorSeconds = 2, DeadlineCeilingSeconds = 8 };
        return spec;
    }

    private static async Task<string> RunToEndAsync(CoordinatorServer coordinator, JobSpec spec)
    {
        string jobId = await InProcessCluster.SubmitAsync(coordinator, spec);
        await WatchAsync(coordinator, jobId);
        return jobId;
    }

    /// <summary>
    /// Watches the job to its end. Each of <paramref name="actions"/> runs once, at the first event it returns a task
    /// for; a cancelled task ends the watch there.
    /// </summary>
    internal static async Task<List<JobEvent>> WatchAsync(CoordinatorServer coordinator, string jobId, params Func<JobEvent, Task?>[] actions)
    {
        using var channel = GrpcChannels.Create(coordinator.Address);
        using var call = new JobsRpc.JobsClient(channel).WatchJob(new WatchJobRequest { JobId = jobId }, Timeout());
        var events = new List<JobEvent>();
        var pending = actions.ToList();
        await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
        {
            events.Add(jobEvent);
            foreach (var onEvent in pending.ToList())
            {
                if (onEvent(jobEvent) is not { } action)
                {
                    continue;
                }
                pending.Remove(onEvent);
                try
                {
                    await action;
                }
                catch (OperationCanceledException)
                {
                    return events;
                }
            }
        }
        return events;
    }

    private List<string> Messages(List<JobEvent> events)
    {
        var messages = events.Where(e => e.EventCase == JobEvent.EventOneofCase.Message).Select(e => e.Message).ToList();
        messages.ForEach(output.WriteLine);
        return messages;
    }

    private static CallOptions Timeout() => new(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(120));
}
