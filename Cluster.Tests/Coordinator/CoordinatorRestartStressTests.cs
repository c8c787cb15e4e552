using System.Diagnostics;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Cluster;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker;
using Grpc.Core;
using Xunit;
using Xunit.Abstractions;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// The coordinator restarted mid-job over and over while the machine is busy (threads spinning on every core), with
/// the same two workers throughout, every third time with the newest checkpoint damaged: every restarted coordinator
/// must resume the job (from the checkpoint before a damaged one) and finish it, bitwise equal to an undisturbed run.
/// A run that stalls fails naming the iteration, the job's state and what it was waiting for.
/// </summary>
/// <remarks>
/// The workers keep the ids the previous coordinator gave them, and the restarted one hands ids out again in the order
/// workers come back: this is where a worker whose old id went to the other one used to stay unregistered for good.
/// </remarks>
[Collection(CoordinatorRestartStressCollection.Name)]
public sealed class CoordinatorRestartStressTests(ITestOutputHelper output) : IAsyncLifetime, IAsyncDisposable
{
    private const int Iterations = 12;

    // A healthy resume takes a few seconds even under the load; a stalled one never ends.
    private static readonly TimeSpan IterationLimit = TimeSpan.FromSeconds(40);

    private readonly InProcessCluster _cluster = new();

    public Task InitializeAsync() => Task.CompletedTask;

    // xUnit 2 calls IAsyncLifetime.DisposeAsync on a test class, never IAsyncDisposable's.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Job_CoordinatorRestartedMidRunManyTimesUnderCpuLoad_EveryRunResumesAndCompletesBitwiseEqual()
    {
        var spec = ClusterJobs.WriteSpec(_cluster.Directory, epochs: 8);
        // Small deadlines: a worker blamed for the step the restart cut short is named within seconds.
        spec.FaultTolerance = new FaultToleranceSpec { DeadlineFloorSeconds = 2, DeadlineCeilingSeconds = 8 };
        var reference = await _cluster.StartCoordinatorAsync("reference", port: LoopbackPorts.OutsideEphemeralRange());
        string local = await InProcessCluster.SubmitAsync(reference, spec);
        await WatchToEndAsync(reference, local, IterationLimit, "the undisturbed run");
        byte[] expected = _cluster.ModelBytes(local, "reference");
        int port = reference.Address.Port;
        await reference.DisposeAsync();

        spec.MinWorkers = 2;
        using var load = new CpuLoad(Environment.ProcessorCount);
        for (int iteration = 1; iteration <= Iterations; iteration++)
        {
            string state = $"state-{iteration}";
            var first = await _cluster.StartCoordinatorAsync(state, port);
            if (iteration == 1)
            {
                // Started once: the same workers live through every restart, as they do in a cluster.
                await _cluster.StartWorkersAsync(first, 2, IterationLimit);
            }
            string jobId = await InProcessCluster.SubmitAsync(first, spec);
            // Every third restart also finds the newest checkpoint damaged (a crash mid-write): it comes after the
            // second epoch, so there is an older one to resume from.
            bool damage = iteration % 3 == 0;
            // A different step each time, so the restart lands in steps, parameter syncs and evaluations alike.
            long restartAfter = 2 + iteration * 5 % 17;
            string where = damage ? "epoch 2" : $"step {restartAfter}";
            var before = await WatchAsync(first, jobId, IterationLimit,
                jobEvent => damage ? jobEvent.Epoch?.Epoch >= 2 : jobEvent.Step?.Step >= restartAfter);
            Assert.False(before.TimedOut, $"Iteration {iteration}: the job did not reach {where} within {IterationLimit.TotalSeconds} s before the restart");
            if (!before.Stopped)
            {
                var ended = await InProcessCluster.GetAsync(first, jobId);
                Assert.Fail($"Iteration {iteration}: the job ended {ended.State} at step {ended.Progress.Step} before {where}, where the coordinator " +
                    $"was to restart: {ended.Message}\n{string.Join("\n", before.Messages)}");
            }
            await WithinLimitAsync(first.DisposeAsync().AsTask(), $"Iteration {iteration}: stopping the coordinator at {where}");
            var checkpoints = new CheckpointStore(_cluster.CheckpointDirectory(jobId, state)).List();
            if (damage)
            {
                await File.WriteAllBytesAsync(Path.Combine(checkpoints[0], CheckpointStore.ModelFile), [1, 2, 3]);
            }

            var second = await _cluster.StartCoordinatorAsync(state, port);
            var after = await WatchToEndAsync(second, jobId, IterationLimit, $"iteration {iteration} after the restart at {where}");
            var job = await InProcessCluster.GetAsync(second, jobId);
            Assert.True(job.State == JobState.Succeeded,
                $"Iteration {iteration}: the job ended {job.State} after the restart at {where}: {job.Message}\n{string.Join("\n", after.Messages)}");
            if (damage)
            {
                Assert.Contains(after.Messages, message => message.StartsWith($"Checkpoint {Path.GetFileName(checkpoints[0])} is damaged and was skipped: ", StringComparison.Ordinal));
                Assert.Contains($"Resuming from checkpoint {Path.GetFileName(checkpoints[1])}", after.Messages);
            }
            Assert.True(expected.AsSpan().SequenceEqual(_cluster.ModelBytes(jobId, state)),
                $"Iteration {iteration}: the parameters after the restart at {where} differ from the undisturbed run's");
            await WithinLimitAsync(second.DisposeAsync().AsTask(), $"Iteration {iteration}: stopping the restarted coordinator");
            output.WriteLine($"iteration {iteration}: restarted after {where}{(damage ? " with the newest checkpoint damaged" : "")}, resumed and completed");
        }
    }

    /// <summary>Watches the job to its end; fails naming <paramref name="what"/> and the job's state when that takes longer than <paramref name="limit"/>.</summary>
    private static async Task<WatchResult> WatchToEndAsync(CoordinatorServer coordinator, string jobId, TimeSpan limit, string what)
    {
        var result = await WatchAsync(coordinator, jobId, limit, _ => false);
        if (result.TimedOut)
        {
            var job = await InProcessCluster.GetAsync(coordinator, jobId);
            Assert.Fail($"The job of {what} did not end within {limit.TotalSeconds} s: it is {job.State} ({job.Message}), " +
                $"at step {job.Progress.Step}, on {job.Progress.Workers} workers, {coordinator.Workers.LiveCount} registered; its last messages:\n" +
                string.Join("\n", result.Messages.TakeLast(15)));
        }
        return result;
    }

    /// <summary>Reads the job's events until it ends, <paramref name="stopAt"/> says stop, or <paramref name="limit"/> has passed.</summary>
    private static async Task<WatchResult> WatchAsync(CoordinatorServer coordinator, string jobId, TimeSpan limit, Func<JobEvent, bool> stopAt)
    {
        using var channel = GrpcChannels.Create(coordinator.Address);
        using var timeout = new CancellationTokenSource(limit);
        using var call = new JobsRpc.JobsClient(channel).WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: timeout.Token);
        var messages = new List<string>();
        try
        {
            await foreach (var jobEvent in call.ResponseStream.ReadAllAsync(timeout.Token))
            {
                if (jobEvent.EventCase == JobEvent.EventOneofCase.Message)
                {
                    messages.Add(jobEvent.Message);
                }
                if (stopAt(jobEvent))
                {
                    return new WatchResult(messages, Stopped: true, TimedOut: false);
                }
            }
        }
        catch (Exception timedOut) when (timeout.IsCancellationRequested && timedOut is OperationCanceledException or RpcException)
        {
            return new WatchResult(messages, Stopped: false, TimedOut: true);
        }
        return new WatchResult(messages, Stopped: false, TimedOut: false);
    }

    /// <summary>Awaits <paramref name="task"/>; fails naming <paramref name="what"/> when it has not ended within the iteration limit.</summary>
    private static async Task WithinLimitAsync(Task task, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(IterationLimit)) != task)
        {
            Assert.Fail($"{what} did not end within {IterationLimit.TotalSeconds} s");
        }
        await task;
    }

    private sealed record WatchResult(List<string> Messages, bool Stopped, bool TimedOut);

    /// <summary>Threads that spin until disposed: a busy machine, from inside the test.</summary>
    private sealed class CpuLoad : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread[] _threads;

        public CpuLoad(int threads)
        {
            _threads = [.. Enumerable.Range(0, threads).Select(_ => new Thread(Spin) { IsBackground = true })];
            foreach (var thread in _threads)
            {
                thread.Start();
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var thread in _threads)
            {
                thread.Join();
            }
            _stop.Dispose();
        }

        private void Spin()
        {
            var token = _stop.Token;
            long spins = 0;
            while (!token.IsCancellationRequested)
            {
                spins++;
            }
            GC.KeepAlive(spins);
        }
    }
}
