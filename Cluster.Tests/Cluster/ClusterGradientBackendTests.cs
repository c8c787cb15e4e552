using System.Diagnostics;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Tests.Diagnostics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Tests.Jobs;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using DistributedTrainer.Worker.Faults;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>The trainer over real workers on loopback gives bitwise what it gives in one process.</summary>
public sealed class ClusterGradientBackendTests(ITestOutputHelper output)
{
    private static readonly ClusterBackendOptions ShortDeadlines = new()
    {
        PrepareTimeout = TimeSpan.FromSeconds(30),
        EvaluateTimeout = TimeSpan.FromSeconds(20),
    };

    private static readonly int[] TwoSamples = [0, 1];

    private sealed record Run(int[] ParameterBits, int[] BufferBits, List<EpochReport> Epochs, TrainingSummary Summary, List<string> Events);

    private static Run Train(JobInput job, Func<Model, IGradientBackend> backend, long stopAfter = long.MaxValue, Action<string>? log = null)
    {
        using var trainer = Trainer.Create(job.Spec, job.Data, backend);
        var observer = new RecordingObserver(log);
        var summary = trainer.RunAsync(observer, stopAfter).AsTask().GetAwaiter().GetResult();
        return new Run(
            [.. trainer.Model.Store.Values.ToArray().Select(BitConverter.SingleToInt32Bits)],
            [.. trainer.Model.Store.BufferValues.ToArray().Select(BitConverter.SingleToInt32Bits)],
            observer.Epochs, summary, observer.Messages);
    }

    // log: the trainer's and the backend's events (a worker blamed, a step re-run).
    private static Run TrainOnCluster(JobInput job, WorkerFleet fleet, string jobId, long stopAfter = long.MaxValue, Action<string>? log = null) =>
        Train(job, model => new ClusterGradientBackend(jobId, job.Spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints), ShortDeadlines,
            message => log?.Invoke(message)), stopAfter, log);

    private static void AssertSameRun(Run expected, Run actual)
    {
        Assert.Equal(expected.ParameterBits, actual.ParameterBits);
        Assert.Equal(expected.BufferBits, actual.BufferBits);
        Assert.Equal(expected.Epochs.Count, actual.Epochs.Count);
        foreach (var (local, cluster) in expected.Epochs.Zip(actual.Epochs))
        {
            // Everything but the timings.
            Assert.Equal((local.Epoch, local.Step, local.TrainLoss, local.TrainAccuracy, local.ValidationLoss, local.ValidationAccuracy, local.TestLoss, local.TestAccuracy, local.LearningRate),
                (cluster.Epoch, cluster.Step, cluster.TrainLoss, cluster.TrainAccuracy, cluster.ValidationLoss, cluster.ValidationAccuracy, cluster.TestLoss, cluster.TestAccuracy, cluster.LearningRate));
        }
        Assert.Equal((expected.Summary.TestAccuracy, expected.Summary.TestLoss, expected.Summary.Steps),
            (actual.Summary.TestAccuracy, actual.Summary.TestLoss, actual.Summary.Steps));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    public async Task RunAsync_SyntheticJobOnWorkers_MatchesLocalBackendBitwise(int workers, bool sharingTheMachine)
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path));
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        using var linksInSharedMemory = new OutcomeCounts("train.worker.ring_links_in_shared_memory");
        // Sharing the machine as `trainctl local` does: a shard board, and the ring's pieces through shared-memory inboxes.
        await using var fleet = sharingTheMachine
            ? await WorkerFleet.StartAsync(workers, shardBoard: directory.Path, ringSharedMemory: directory.Path)
            : await WorkerFleet.StartAsync(workers);

        var cluster = TrainOnCluster(job, fleet, "j-eq");

        AssertSameRun(local, cluster);
        Assert.Equal(3, cluster.Epochs.Count);
        Assert.Equal(sharingTheMachine, linksInSharedMemory.Of("j-eq") >= workers);
    }

    [Fact]
    public async Task RunAsync_AWorkerStartingLate_ItsShardsTakenOverOnTheBoardAndTheResultUnchanged()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path, epochs: 1));
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        using var takenOver = new OutcomeCounts("train.worker.shards_taken_over");
        // Rank 1 holds every ring piece 50 ms, so rank 0 gets rank 1's parameter segment, and starts computing, that much
        // after rank 1, which meanwhile computes its own shards and takes over rank 0's.
        await using var fleet = await WorkerFleet.StartAsync(2, faults: rank => rank == 1 ? WorkerFaults.None.With("delay-ring=50") : WorkerFaults.None,
            shardBoard: directory.Path);

        var cluster = TrainOnCluster(job, fleet, "j-late");

        AssertSameRun(local, cluster);
        Assert.True(takenOver.Of("j-late") > 0, "rank 1 took over none of rank 0's shards");
        Assert.Empty(Directory.GetFiles(directory.Path, "*.shards"));
    }

    [FashionMnistFact]
    public async Task RunAsync_ReferenceExample200StepsOnTwoWorkers_MatchesLocalBackendBitwise()
    {
        var job = JobInput.Load(Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-mlp.yaml"), epochs: 1);
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model), stopAfter: 200);
        await using var fleet = await WorkerFleet.StartAsync(2);

        var cluster = TrainOnCluster(job, fleet, "j-fmnist", stopAfter: 200);

        output.WriteLine($"local {local.Summary.TrainSamplesPerSecond:F0} samples/s, 2 workers {cluster.Summary.TrainSamplesPerSecond:F0} samples/s");
        AssertSameRun(local, cluster);
    }

    [Fact]
    public async Task RunAsync_OneOfThreeWorkersGoneMidStep_ReRunsTheStepOnTheOthersBitwiseEqualToLocal()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(WithDeadlines(ClusterJobs.WriteSpec(directory.Path, epochs: 2), ceilingSeconds: 6));
        await using var fleet = await WorkerFleet.StartAsync(3);
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model, shardEngines: 1));
        var events = new List<string>();

        // The worker of rank 1 goes away while step 3 is in flight.
        var cluster = Train(job, model => new InterruptedBackend(
            new ClusterGradientBackend("j-gone", job.Spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints), ShortDeadlines, events.Add),
            3, () => fleet.Servers[1].DisposeAsync().AsTask()));

        events.ForEach(output.WriteLine);
        AssertSameRun(local, cluster);
        // The server stops while step 3 is in flight; when its calls of step 3 had already ended, step 4 finds it gone.
        Assert.Contains(events, e => e.StartsWith("worker w-2 (rank 1) is gone", StringComparison.Ordinal)
            && (e.Contains("at step 3", StringComparison.Ordinal) || e.Contains("at step 4", StringComparison.Ordinal))
            && e.EndsWith("re-running the step on w-1, w-3", StringComparison.Ordinal));
        Assert.Contains(events, e => e.StartsWith("Job j-gone runs on 2 workers from step 3", StringComparison.Ordinal)
            || e.StartsWith("Job j-gone runs on 2 workers from step 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WorkerDropsItsRingMessages_NamedWithinTheDeadlineAndTheResultUnchanged()
    {
        using var directory = new TemporaryDirectory();
        const float ceilingSeconds = 6;
        var job = JobInput.FromSpec(WithDeadlines(ClusterJobs.WriteSpec(directory.Path, epochs: 1), ceilingSeconds));
        // Rank 1 sends nothing from step 2 on: it is alive and answers, but its next peer hears nothing.
        await using var fleet = await WorkerFleet.StartAsync(3, faults: rank => rank == 1 ? WorkerFaults.None.With("drop-ring@2") : WorkerFaults.None);
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model, shardEngines: 1));
        var events = new List<string>();
        TimeSpan slowest = TimeSpan.Zero;

        var cluster = Train(job, model => new InterruptedBackend(
            new ClusterGradientBackend("j-silent", job.Spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints), ShortDeadlines, events.Add),
            2, () => Task.CompletedTask, elapsed => slowest = elapsed > slowest ? elapsed : slowest));

        events.ForEach(output.WriteLine);
        output.WriteLine($"slowest step {slowest.TotalSeconds:F2} s");
        AssertSameRun(local, cluster);
        Assert.Contains(events, e => e.StartsWith("worker w-2 (rank 1) missed ", StringComparison.Ordinal) && e.Contains(" of step 2 "));
        // Detection takes half the step deadline (the ring's piece timeout, 3 s here), then the silent worker is told to
        // stop (at most 2 s) and the step re-run on two workers: seconds, not minutes.
        Assert.True(slowest < TimeSpan.FromSeconds(10), $"the step with the silent worker took {slowest.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task ComputeAsync_LastWorkerGone_ThrowsWorkerFailedNamingWorkerRankAndStep()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(WithDeadlines(ClusterJobs.WriteSpec(directory.Path), ceilingSeconds: 6));
        await using var fleet = await WorkerFleet.StartAsync(1);
        using var model = ModelFactory.Build(job.Spec.Model, job.Data.FeatureCount, Trainer.EvaluationChunk);
        model.Initialize(job.Spec.Seed);
        using var backend = new ClusterGradientBackend("j-last", job.Spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints), ShortDeadlines, _ => { });
        var gradient = new StepGradient(model.Store.Count, model.Store.BufferValues.Length);
        int[] batch = [.. Enumerable.Range(0, 20)];
        await backend.ComputeAsync(0, batch, gradient, CancellationToken.None);
        await fleet.Servers[0].DisposeAsync();

        var failure = await Assert.ThrowsAsync<WorkerFailedException>(
            () => backend.ComputeAsync(1, batch, gradient, CancellationToken.None).AsTask());

        output.WriteLine(failure.Message);
        Assert.Equal(("w-1", 0, 1L, WorkerFailureKind.Gone), (failure.WorkerId, failure.Rank, failure.Step, failure.Kind));
    }

    [Fact]
    public async Task ComputeAsync_WorkersWhoseComputationIsAWait_ScoreEverySampleWithTheStandInGradientsAfterTheWait()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path));
        await using var fleet = await WorkerFleet.StartAsync(2, faults: _ => WorkerFaults.None.With("compute=40000"));
        using var model = ModelFactory.Build(job.Spec.Model, job.Data.FeatureCount, Trainer.EvaluationChunk);
        model.Initialize(job.Spec.Seed);
        using var backend = new ClusterGradientBackend("j-wait", job.Spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints), ShortDeadlines, _ => { });
        var gradient = new StepGradient(model.Store.Count, model.Store.BufferValues.Length);
        int[] batch = [.. Enumerable.Range(0, 20)];
        var watch = Stopwatch.StartNew();

        var result = await backend.ComputeAsync(0, batch, gradient, CancellationToken.None);

        // The scaling benchmark's stand-in (compute=US): the step's shape without its arithmetic; each rank's sums are
        // the stand-in's for its rank, and the coordinator gets their mean over the batch.
        long[] sums = [.. StandInGradients.Create(model.Store.Count, seed: 0).Zip(StandInGradients.Create(model.Store.Count, seed: 1), (a, b) => a + b)];
        float[] expected = new float[sums.Length];
        FixedPointAccumulator.ToFloats(sums, expected, 1.0 / batch.Length);
        Assert.Equal(new ShardResult(0, 0, batch.Length), result);
        Assert.Equal(expected, gradient.Gradient.ToArray());
        Assert.Contains(gradient.Gradient.ToArray(), value => value != 0f);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(40), $"the step took {watch.Elapsed.TotalMilliseconds:F1} ms");
    }

    private static JobSpec WithDeadlines(JobSpec spec, float ceilingSeconds)
    {
        spec.FaultTolerance = new FaultToleranceSpec { DeadlineFloorSeconds = 2, DeadlineCeilingSeconds = ceilingSeconds };
        return spec;
    }

    // Steps of at least 30 s (ring pieces 15 s): no worker is blamed for a stall of the machine, only for failing.
    private static JobSpec WithPatientDeadlines(JobSpec spec)
    {
        spec.FaultTolerance = new FaultToleranceSpec { DeadlineFloorSeconds = 30, DeadlineCeilingSeconds = 60 };
        return spec;
    }

    /// <summary>
    /// Runs <paramref name="interrupt"/> while step <paramref name="step"/> is in flight on the inner backend, and
    /// tells <paramref name="timed"/> how long each step took.
    /// </summary>
    private sealed class InterruptedBackend(IGradientBackend inner, long step, Func<Task> interrupt, Action<TimeSpan>? timed = null) : IGradientBackend
    {
        public async ValueTask<ShardResult> ComputeAsync(long current, ReadOnlyMemory<int> batch, StepGradient gradient,
            CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var compute = inner.ComputeAsync(current, batch, gradient, cancellationToken).AsTask();
            if (current == step)
            {
                await interrupt();
            }
            var result = await compute;
            timed?.Invoke(Stopwatch.GetElapsedTime(started));
            return result;
        }

        public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken) => inner.EvaluateAsync(split, cancellationToken);

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task ComputeAsync_WorkerCannotReadTheData_ThrowsWorkerFailedInPrepare()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path));
        var unreadable = job.Spec.Clone();
        unreadable.Dataset.TrainPath = Path.Combine(directory.Path, "missing.csv");
        await using var fleet = await WorkerFleet.StartAsync(2);
        using var model = ModelFactory.Build(job.Spec.Model, job.Data.FeatureCount, Trainer.EvaluationChunk);
        using var backend = new ClusterGradientBackend("j-bad", unreadable, job.Data, model, new FixedWorkerPool(fleet.Endpoints), ShortDeadlines, _ => { });

        var failure = await Assert.ThrowsAsync<WorkerFailedException>(() => backend.ComputeAsync(0, TwoSamples,
            new StepGradient(model.Store.Count, model.Store.BufferValues.Length), CancellationToken.None).AsTask());

        Assert.Equal("prepare", failure.Phase);
        Assert.Contains("InvalidArgument", failure.Message);
        Assert.Contains("missing.csv", failure.Message);
    }

    [Fact]
    public async Task RunAsync_WorkersRequireAToken_TheRingStreamsCarryItAndTheResultMatchesLocal()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path, epochs: 1));
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        await using var fleet = await WorkerFleet.StartAsync(3, token: "secret");

        var cluster = Train(job, model => new ClusterGradientBackend("j-token", job.Spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints),
            ShortDeadlines with { Token = "secret" }, _ => { }));

        AssertSameRun(local, cluster);
    }

    [Fact]
    public async Task RunAsync_OneWorkerRefusesTheJobAsInvalid_DroppedByNameAndTheResultUnchanged()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path, epochs: 1));
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        await using var fleet = await WorkerFleet.StartAsync(2);
        await using var refusing = await RefusingWorker.StartAsync("Invalid train_path: not found on this worker");
        WorkerEndpoint[] ring = [fleet.Endpoints[0], new WorkerEndpoint("w-bad", refusing.Address, 1), fleet.Endpoints[1]];
        var events = new List<string>();

        var cluster = Train(job, model => new ClusterGradientBackend("j-refused", job.Spec, job.Data, model, new FixedWorkerPool(ring), ShortDeadlines, events.Add));

        events.ForEach(output.WriteLine);
        AssertSameRun(local, cluster);
        Assert.Contains(events, e => e.StartsWith("worker w-bad (rank 1) failed prepare of step 0", StringComparison.Ordinal)
            && e.Contains("not found on this worker", StringComparison.Ordinal) && e.EndsWith("re-running the step on w-1, w-2", StringComparison.Ordinal));
    }

    /// <param name="clipByGlobalNorm">
    /// True: the synthetic job's global-norm clipping, whose update needs the whole gradient. False: value clipping, per
    /// element, so each step's headers go out right behind the last step's (<see cref="StepTraceTests"/> checks that
    /// they do); none of them may be given up.
    /// </param>
    [Theory]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    public async Task RunAsync_AfterTheFirstStepsOfAnEpoch_WorkersUpdateTheirOwnSegmentsInsteadOfReceivingThem(int workers, bool clipByGlobalNorm)
    {
        using var directory = new TemporaryDirectory();
        // Counted exactly: a step re-run because a loaded machine stalled a ring piece past a short deadline would send the
        // parameters again.
        var spec = WithPatientDeadlines(ClusterJobs.WriteSpec(directory.Path));
        if (!clipByGlobalNorm)
        {
            spec.Clipping = new ClippingSpec { ClipValue = 0.5f };
        }
        var job = JobInput.FromSpec(spec);
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        await using var fleet = await WorkerFleet.StartAsync(workers);
        string jobId = $"j-segments-{workers}-{clipByGlobalNorm}";
        using var segments = new OutcomeCounts("train.worker.parameter_segments");

        var cluster = TrainOnCluster(job, fleet, jobId, log: output.WriteLine);

        AssertSameRun(local, cluster);
        int epochs = cluster.Epochs.Count;
        long steps = cluster.Summary.Steps;
        Assert.True(steps > 4 * epochs, $"{steps} steps in {epochs} epochs");
        // Received: the first step of every epoch (with the optimizer state; the evaluations' parameter syncs come
        // between epochs). Every other step the workers repeat the coordinator's update.
        Assert.Equal(workers * (long)epochs, segments.Of(jobId, "received"));
        Assert.Equal(workers * (steps - epochs), segments.Of(jobId, "updated"));
    }

    [Fact]
    public async Task RunAsync_StepsSkippedForNonFiniteGradients_TheStepsSentAheadAreRunAgainWithTheParametersAndMatchLocalBitwise()
    {
        using var directory = new TemporaryDirectory();
        var spec = WithPatientDeadlines(ClusterJobs.WriteSpec(directory.Path, epochs: 1));
        // Plain SGD at an absurd rate diverges within a few steps: from then on every gradient is non-finite and every
        // step is skipped, while the headers sent ahead carried an applied update.
        spec.Clipping = null;
        spec.Optimizer = new OptimizerSpec { Kind = OptimizerSpec.Types.Kind.Sgd, LearningRate = 1e30f };
        var job = JobInput.FromSpec(spec);
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        await using var fleet = await WorkerFleet.StartAsync(2);
        const string jobId = "j-ahead-skipped";
        using var segments = new OutcomeCounts("train.worker.parameter_segments");

        var cluster = TrainOnCluster(job, fleet, jobId, log: output.WriteLine);

        AssertSameRun(local, cluster);
        int skipped = cluster.Events.Count(message => message.Contains("skipped: the gradient holds NaN or infinity", StringComparison.Ordinal));
        Assert.InRange(skipped, 2, (int)cluster.Summary.Steps);
        Assert.Equal(local.Events.Count(message => message.Contains("skipped", StringComparison.Ordinal)), skipped);
        // Diverged, the run skips every step to its end. Each worker received the parameters at the first step and after
        // every skipped step but the last (the epoch's last step has no step sent ahead): the step after a skipped one was
        // run again with them instead of the update sent ahead.
        Assert.Equal(2L * skipped, segments.Of(jobId, "received"));
    }

    [Fact]
    public async Task RunAsync_TransferWithAFrozenLayer_WorkersLeaveItAsTheMasterDoesAndMatchLocalBitwise()
    {
        using var directory = new TemporaryDirectory();
        var source = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path, epochs: 1));
        string checkpoints = Path.Combine(directory.Path, "source");
        using (var trainer = Trainer.Create(source.Spec, source.Data, checkpoints))
        {
            trainer.Run(new RecordingObserver());
        }
        var spec = source.Spec.Clone();
        spec.Seed = 99;
        spec.Epochs = 2;
        // fc1 is frozen: workers updating their segments must leave it as the master's optimizer does.
        spec.Transfer = new TransferSpec { FromCheckpoint = checkpoints, Freeze = { "fc1" } };
        var job = JobInput.FromSpec(spec);
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        await using var fleet = await WorkerFleet.StartAsync(2);

        var cluster = TrainOnCluster(job, fleet, "j-transfer");

        AssertSameRun(local, cluster);
    }

    [Fact]
    public async Task Dispose_AfterSteps_FreesTheWorkersForAnotherJob()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path, epochs: 1));
        await using var fleet = await WorkerFleet.StartAsync(2);
        var first = TrainOnCluster(job, fleet, "j-first");

        var second = TrainOnCluster(job, fleet, "j-second");

        Assert.Equal(first.ParameterBits, second.ParameterBits);
    }
}
