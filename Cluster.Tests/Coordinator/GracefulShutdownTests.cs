using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Cluster;
using DistributedTrainer.Tests.Worker;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// SIGTERM to the real Coordinator and Worker processes mid-job. The coordinator checkpoints the running job and exits
/// 0; restarted on the same port, it resumes the job, which ends bitwise equal to an undisturbed run. A worker finishes
/// the step in flight, tells the coordinator it is leaving, is released at the next step boundary and exits 0; the job
/// goes on without re-running any step and ends bitwise equal too.
/// </summary>
public sealed class GracefulShutdownTests : IAsyncLifetime, IAsyncDisposable
{
    // Generous: a healthy run takes well under a minute, but this machine may be shared and busy.
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RingDelay = TimeSpan.FromMilliseconds(25);

    private readonly InProcessCluster _cluster = new();
    private readonly List<IDisposable> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    // xUnit 2 calls IAsyncLifetime.DisposeAsync on a test class, never IAsyncDisposable's: without it the
    // coordinator and worker processes outlived the test run.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Coordinator_SigtermMidJob_CheckpointsAndResumesOnRestartBitwiseEqual()
    {
        // 12 epochs of 10 steps, SIGTERM after step 5: the job must still be running when the signal lands, or it ends
        // first and the restarted coordinator has nothing to resume (fresh-clone CI runs 26 and 29 failed so: steps of a
        // few milliseconds end 120 steps before a busy machine delivers the signal). The workers' ring pieces are held
        // (StartWorkersAsync), so the job runs for seconds after step 5 whatever the machine's speed.
        var spec = ClusterJobs.WriteSpec(_cluster.Directory, epochs: 12);
        byte[] expected = await UndisturbedModelAsync(spec);
        spec.MinWorkers = 2;
        string state = Path.Combine(_cluster.Directory, "state");
        var first = Track(await CoordinatorProcess.StartOnPortAsync(state, LoopbackPorts.OutsideEphemeralRange()));
        await StartWorkersAsync(first.Address, "a", "b");
        string jobId = await SubmitAsync(first.Address, spec);
        await WatchAsync(first.Address, jobId, jobEvent => jobEvent.Step?.Step >= 5);

        bool exited = first.Terminate(ExitLimit);

        Assert.True(exited && first.ExitCode == 0, $"the coordinator did not exit 0 within {ExitLimit.TotalSeconds} s of SIGTERM; stderr:\n{first.Stderr}");
        var second = Track(await CoordinatorProcess.StartOnPortAsync(state, first.Address.Port));
        var messages = await WatchAsync(second.Address, jobId, _ => false);
        var job = await GetAsync(second.Address, jobId);
        Assert.True(job.State == JobState.Succeeded, $"the job ended {job.State} after the restart: {job.Message}\n{string.Join("\n", messages)}");
        // The coordinator resumes the job as it starts: a watch attached after that (on a busy machine, even after the
        // job has ended) does not see the resume event, which goes to the watchers of the moment; its log line stays.
        Assert.Contains($"Job {jobId} resumes from checkpoint step-", second.Stderr, StringComparison.Ordinal);
        Assert.True(expected.AsSpan().SequenceEqual(_cluster.ModelBytes(jobId)), "the parameters after the restart differ from the undisturbed run's");
    }

    [Fact]
    public async Task Worker_SigtermMidJob_FinishesItsStepLeavesAndNoStepIsReRun()
    {
        // 12 epochs of 10 steps, the worker stopped after step 5: the job must still be running when the worker's Leave
        // reaches the coordinator (a busy machine takes a while to deliver SIGTERM and call it), or the job ends first
        // and releases the worker without the leave ever being seen (fresh-clone CI run 23 failed so with 6 epochs,
        // the worker stopped after step 20 of 60). The ring pieces are held (StartWorkersAsync), so it runs for seconds.
        var spec = ClusterJobs.WriteSpec(_cluster.Directory, epochs: 12);
        byte[] expected = await UndisturbedModelAsync(spec);
        spec.MinWorkers = 1;
        var coordinator = Track(await CoordinatorProcess.StartAsync(Path.Combine(_cluster.Directory, "state")));
        var workers = await StartWorkersAsync(coordinator.Address, "a", "b");
        string jobId = await SubmitAsync(coordinator.Address, spec);
        // One watch from submission to the end, so the messages the leave causes are all seen.
        var atStep = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watch = WatchAsync(coordinator.Address, jobId, _ => false, jobEvent =>
        {
            if (jobEvent.Step?.Step >= 5)
            {
                atStep.TrySetResult();
            }
        });
        await atStep.Task.WaitAsync(Limit);

        bool exited = workers[1].Terminate(ExitLimit);

        Assert.True(exited && workers[1].ExitCode == 0, $"worker b did not exit 0 within {ExitLimit.TotalSeconds} s of SIGTERM; stderr:\n{workers[1].Stderr}");
        var messages = await watch;
        var job = await GetAsync(coordinator.Address, jobId);
        Assert.True(job.State == JobState.Succeeded, $"the job ended {job.State}: {job.Message}\n{string.Join("\n", messages)}");
        Assert.Contains(messages, message => message.StartsWith("worker b is leaving (stopping)", StringComparison.Ordinal));
        Assert.DoesNotContain(messages, message => message.Contains("re-running", StringComparison.Ordinal));
        Assert.True(expected.AsSpan().SequenceEqual(_cluster.ModelBytes(jobId)), "the parameters differ from the undisturbed run's");
    }

    /// <summary>The model of <paramref name="spec"/> run on an in-process coordinator alone (no workers).</summary>
    private async Task<byte[]> UndisturbedModelAsync(JobSpec spec)
    {
        var reference = await _cluster.StartCoordinatorAsync("reference");
        string jobId = await InProcessCluster.SubmitAsync(reference, spec);
        await WatchAsync(reference.Address, jobId, _ => false);
        Assert.Equal(JobState.Succeeded, (await InProcessCluster.GetAsync(reference, jobId)).State);
        return _cluster.ModelBytes(jobId, "reference");
    }

    private T Track<T>(T process)
        where T : IDisposable
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>
    /// Starts named Worker processes that register with <paramref name="coordinator"/> and waits until they have. Each holds
    /// its ring pieces <see cref="RingDelay"/> before sending them (a slow link, which changes no result): a step of the
    /// synthetic job then takes at least twice that on two workers, so a signal sent after step 5 lands mid-job.
    /// </summary>
    private async Task<WorkerProcess[]> StartWorkersAsync(Uri coordinator, params string[] names)
    {
        var workers = new WorkerProcess[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            workers[i] = Track(await WorkerProcess.StartAsync("--coordinator", coordinator.ToString(), "--port", "0", "--threads", "1",
                "--name", names[i], "--data-root", _cluster.Directory, "--fault", $"delay-ring={RingDelay.TotalMilliseconds}"));
        }
        using var timeout = new CancellationTokenSource(Limit);
        while (!names.All(name => workers[Array.IndexOf(names, name)].Stderr.Contains($"as {name}", StringComparison.Ordinal)))
        {
            await Task.Delay(100, timeout.Token);
        }
        return workers;
    }

    private static async Task<string> SubmitAsync(Uri coordinator, JobSpec spec)
    {
        using var channel = GrpcChannels.Create(coordinator);
        return (await new JobsRpc.JobsClient(channel).SubmitJobAsync(new SubmitJobRequest { Spec = spec }, deadline: DateTime.UtcNow + Limit)).JobId;
    }

    private static async Task<Job> GetAsync(Uri coordinator, string jobId)
    {
        using var channel = GrpcChannels.Create(coordinator);
        return await new JobsRpc.JobsClient(channel).GetJobAsync(new GetJobRequest { JobId = jobId }, deadline: DateTime.UtcNow + Limit);
    }

    /// <summary>The job's messages until it ends or <paramref name="stopAt"/> says stop; fails when that takes longer than the limit.</summary>
    private static async Task<List<string>> WatchAsync(Uri coordinator, string jobId, Func<JobEvent, bool> stopAt, Action<JobEvent>? onEvent = null)
    {
        using var channel = GrpcChannels.Create(coordinator);
        using var call = new JobsRpc.JobsClient(channel).WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow + Limit);
        var messages = new List<string>();
        await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
        {
            onEvent?.Invoke(jobEvent);
            if (jobEvent.EventCase == JobEvent.EventOneofCase.Message)
            {
                messages.Add(jobEvent.Message);
            }
            if (stopAt(jobEvent))
            {
                break;
            }
        }
        return messages;
    }
}
