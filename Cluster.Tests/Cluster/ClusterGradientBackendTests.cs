using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Tests.Jobs;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>The trainer over real workers on loopback gives bitwise what it gives in one process.</summary>
public sealed class ClusterGradientBackendTests(ITestOutputHelper output)
{
    private static readonly ClusterBackendOptions ShortDeadlines = new()
    {
        PrepareTimeout = TimeSpan.FromSeconds(30),
        StepTimeout = TimeSpan.FromSeconds(20),
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

    private static Run TrainOnCluster(JobInput job, WorkerFleet fleet, string jobId, long stopAfter = long.MaxValue, Action<string>? log = null)
    {
        var events = new List<string>();
        return Train(job, model => new ClusterGradientBackend(jobId, job.Spec, job.Data, model, fleet.Endpoints, ShortDeadlines, events.Add), stopAfter, log);
    }

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
    [InlineData(2)]
    [InlineData(3)]
    public async Task RunAsync_SyntheticJobOnWorkers_MatchesLocalBackendBitwise(int workers)
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path));
        var local = Train(job, model => new LocalGradientBackend(job.Spec, job.Data, model));
        await using var fleet = await WorkerFleet.StartAsync(workers);

        var cluster = TrainOnCluster(job, fleet, "j-eq");

        AssertSameRun(local, cluster);
        Assert.Equal(3, cluster.Epochs.Count);
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
    public async Task ComputeAsync_WorkerGone_ThrowsWorkerFailedNamingWorkerRankAndStep()
    {
        using var directory = new TemporaryDirectory();
        var job = JobInput.FromSpec(ClusterJobs.WriteSpec(directory.Path));
        await using var fleet = await WorkerFleet.StartAsync(2);
        using var model = ModelFactory.Build(job.Spec.Model, job.Data.FeatureCount, Trainer.EvaluationChunk);
        model.Initialize(job.Spec.Seed);
        using var backend = new ClusterGradientBackend("j-gone", job.Spec, job.Data, model, fleet.Endpoints, ShortDeadlines, _ => { });
        var gradients = new FixedPointAccumulator(model.Store.Count);
        var buffers = new FixedPointAccumulator(model.Store.BufferValues.Length);
        int[] batch = [.. Enumerable.Range(0, 20)];
        await backend.ComputeAsync(0, batch, gradients, buffers, CancellationToken.None);
        await fleet.Servers[1].DisposeAsync();

        var failure = await Assert.ThrowsAsync<WorkerFailedException>(
            () => backend.ComputeAsync(1, batch, gradients, buffers, CancellationToken.None).AsTask());

        output.WriteLine(failure.Message);
        Assert.Contains("step 1", failure.Message);
        Assert.Matches(@"worker w-\d \(rank \d\)", failure.Message);
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
        using var backend = new ClusterGradientBackend("j-bad", unreadable, job.Data, model, fleet.Endpoints, ShortDeadlines, _ => { });

        var failure = await Assert.ThrowsAsync<WorkerFailedException>(() => backend.ComputeAsync(0, TwoSamples,
            new FixedPointAccumulator(model.Store.Count), new FixedPointAccumulator(model.Store.BufferValues.Length), CancellationToken.None).AsTask());

        Assert.Equal("prepare", failure.Phase);
        Assert.Contains("InvalidArgument", failure.Message);
        Assert.Contains("missing.csv", failure.Message);
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
