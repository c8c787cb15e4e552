using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;
using Xunit;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>A GAN job over real workers on loopback gives bitwise what it gives in one process.</summary>
public sealed class ClusterGradientBackendAdversarialTests
{
    private static readonly ClusterBackendOptions ShortDeadlines = new()
    {
        PrepareTimeout = TimeSpan.FromSeconds(30),
        EvaluateTimeout = TimeSpan.FromSeconds(20),
    };

    private sealed record Run(int[] Generator, int[] GeneratorBuffers, int[] Discriminator, int[] DiscriminatorBuffers,
        AdversarialSummary Summary, List<(double Discriminator, double Generator)> EpochLosses, List<string> Events);

    private static JobInput WriteJob(string directory, AdversarialSpec.Types.Loss loss) =>
        JobInput.FromSpec(ClusterGanJobs.WriteSpec(directory, loss));

    private static Run Train(JobInput job, Func<List<string>, Func<Model, Model, IAdversarialBackend>?> backend, string? checkpoints = null,
        string? resume = null, long stopAfter = long.MaxValue)
    {
        var events = new List<string>();
        var factory = backend(events);
        using var trainer = factory is null
            ? AdversarialTrainer.Create(job.Spec, job.Data, checkpoints, resume)
            : AdversarialTrainer.Create(job.Spec, job.Data, factory, checkpoints, resume);
        var observer = new Observer();
        var summary = trainer.RunAsync(observer, stopAfter).AsTask().GetAwaiter().GetResult();
        return new Run(Bits(trainer.Generator.Model.Store.Values), Bits(trainer.Generator.Model.Store.BufferValues),
            Bits(trainer.Discriminator.Model.Store.Values), Bits(trainer.Discriminator.Model.Store.BufferValues),
            summary, observer.EpochLosses, events);
    }

    private static Run TrainLocally(JobInput job, string? checkpoints = null, string? resume = null, long stopAfter = long.MaxValue) =>
        Train(job, _ => null, checkpoints, resume, stopAfter);

    private static Run TrainOnCluster(JobInput job, WorkerFleet fleet, string jobId, string? checkpoints = null, string? resume = null,
        long stopAfter = long.MaxValue) =>
        Train(job, events => (generator, discriminator) => new ClusterGradientBackend(jobId, job.Spec, job.Data, generator, discriminator,
            new FixedWorkerPool(fleet.Endpoints), ShortDeadlines, events.Add), checkpoints, resume, stopAfter);

    private static int[] Bits(Span<float> values) => [.. values.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static void AssertSameRun(Run expected, Run actual)
    {
        Assert.Equal(expected.Generator, actual.Generator);
        Assert.Equal(expected.GeneratorBuffers, actual.GeneratorBuffers);
        Assert.Equal(expected.Discriminator, actual.Discriminator);
        Assert.Equal(expected.DiscriminatorBuffers, actual.DiscriminatorBuffers);
        Assert.Equal(expected.EpochLosses, actual.EpochLosses);
        Assert.Equal((expected.Summary.Steps, expected.Summary.GeneratorSteps, expected.Summary.DiscriminatorLoss, expected.Summary.GeneratorLoss),
            (actual.Summary.Steps, actual.Summary.GeneratorSteps, actual.Summary.DiscriminatorLoss, actual.Summary.GeneratorLoss));
    }

    [Theory]
    [InlineData(2, AdversarialSpec.Types.Loss.NonSaturating)]
    [InlineData(3, AdversarialSpec.Types.Loss.NonSaturating)]
    [InlineData(2, AdversarialSpec.Types.Loss.Wasserstein)]
    public async Task RunAsync_SyntheticGanOnWorkers_MatchesLocalBackendBitwise(int workers, AdversarialSpec.Types.Loss loss)
    {
        using var directory = new TemporaryDirectory();
        var job = WriteJob(directory.Path, loss);
        var local = TrainLocally(job);
        await using var fleet = await WorkerFleet.StartAsync(workers);

        var cluster = TrainOnCluster(job, fleet, "j-gan");

        AssertSameRun(local, cluster);
        Assert.Equal((9L, 4L, 3), (cluster.Summary.Steps, cluster.Summary.GeneratorSteps, cluster.EpochLosses.Count));
    }

    [Fact]
    public async Task RunAsync_ResumedOnThreeWorkersFromACheckpointWrittenOnTwo_MatchesUninterruptedLocalRunBitwise()
    {
        using var directory = new TemporaryDirectory();
        var job = WriteJob(directory.Path, AdversarialSpec.Types.Loss.NonSaturating);
        var uninterrupted = TrainLocally(job);
        string checkpoints = Path.Combine(directory.Path, "checkpoints");
        Run stopped;
        await using (var two = await WorkerFleet.StartAsync(2))
        {
            // Step 5 is in the middle of the second epoch, after a critic update whose generator update comes next.
            stopped = TrainOnCluster(job, two, "j-gan-stop", checkpoints, stopAfter: 5);
        }
        await using var three = await WorkerFleet.StartAsync(3);

        var resumed = TrainOnCluster(job, three, "j-gan-resume", Path.Combine(directory.Path, "resumed"), stopped.Summary.Checkpoint);

        Assert.Equal(5, stopped.Summary.Steps);
        Assert.Equal(uninterrupted.Generator, resumed.Generator);
        Assert.Equal(uninterrupted.GeneratorBuffers, resumed.GeneratorBuffers);
        Assert.Equal(uninterrupted.Discriminator, resumed.Discriminator);
        Assert.Equal(uninterrupted.DiscriminatorBuffers, resumed.DiscriminatorBuffers);
        Assert.Equal(uninterrupted.EpochLosses[^1], resumed.EpochLosses[^1]);
    }

    private sealed class Observer : IAdversarialObserver
    {
        public List<(double Discriminator, double Generator)> EpochLosses { get; } = [];

        public void OnStep(AdversarialStepReport report)
        {
        }

        public void OnEpoch(AdversarialEpochReport report) => EpochLosses.Add((report.DiscriminatorLoss, report.GeneratorLoss));

        public void OnEvent(string message)
        {
        }
    }
}
