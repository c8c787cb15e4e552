using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Adversarial;
using Xunit;

namespace DistributedTrainer.Tests.Training.Adversarial;

[Collection(ComputeThreadsCollection.Name)]
public sealed class AdversarialTrainerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dt-gan-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        foreach (var directory in new[] { _directory, _directory + "-resumed" })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private sealed record Outcome(float[] Generator, float[] GeneratorBuffers, float[] Discriminator, float[] DiscriminatorBuffers,
        AdversarialSummary Summary, List<AdversarialEpochReport> Epochs, List<AdversarialStepReport> Steps);

    private static Outcome Train(JobSpec? spec = null, string? checkpoints = null, string? resume = null, long stopAfter = long.MaxValue)
    {
        using var trainer = AdversarialTrainer.Create(spec ?? SyntheticGanJobs.Spec(), SyntheticGanJobs.Data(), checkpoints, resume);
        var observer = new Observer();
        var summary = trainer.Run(observer, stopAfterSteps: stopAfter);
        return new Outcome(trainer.Generator.Model.Store.Values.ToArray(), trainer.Generator.Model.Store.BufferValues.ToArray(),
            trainer.Discriminator.Model.Store.Values.ToArray(), trainer.Discriminator.Model.Store.BufferValues.ToArray(),
            summary, observer.Epochs, observer.Steps);
    }

    [Fact]
    public void Run_SameSpecAndSeedTwice_GivesBitwiseIdenticalNetworks()
    {
        var first = Train();
        var second = Train();

        Assert.Equal(first.Generator, second.Generator);
        Assert.Equal(first.Discriminator, second.Discriminator);
        Assert.Equal(first.GeneratorBuffers, second.GeneratorBuffers);
        Assert.Equal(first.DiscriminatorBuffers, second.DiscriminatorBuffers);
    }

    [Fact]
    public void Run_OneAndTwoGemmThreads_GiveBitwiseIdenticalNetworks()
    {
        int saved = ComputeThreads.Count;
        try
        {
            ComputeThreads.Count = 1;
            var one = Train();
            ComputeThreads.Count = 2;
            var two = Train();

            Assert.Equal(one.Generator, two.Generator);
            Assert.Equal(one.Discriminator, two.Discriminator);
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
    }

    [Fact]
    public void Resume_FromCheckpointInTheMiddleOfAnEpoch_MatchesUninterruptedRunBitwise()
    {
        var uninterrupted = Train();

        // 3 steps per epoch (60 samples in batches of 20), a generator update after every second: step 5 is in the
        // middle of the second epoch, after a critic update whose generator update comes with the next step.
        var stopped = Train(checkpoints: _directory, stopAfter: 5);
        Assert.Equal(5, stopped.Summary.Steps);
        var resumed = Train(checkpoints: _directory + "-resumed", resume: stopped.Summary.Checkpoint);

        Assert.Equal(uninterrupted.Generator, resumed.Generator);
        Assert.Equal(uninterrupted.GeneratorBuffers, resumed.GeneratorBuffers);
        Assert.Equal(uninterrupted.Discriminator, resumed.Discriminator);
        Assert.Equal(uninterrupted.DiscriminatorBuffers, resumed.DiscriminatorBuffers);
        Assert.Equal(uninterrupted.Epochs[^1].DiscriminatorLoss, resumed.Epochs[^1].DiscriminatorLoss);
        Assert.Equal(uninterrupted.Epochs[^1].GeneratorLoss, resumed.Epochs[^1].GeneratorLoss);
    }

    [Fact]
    public void Run_TwoCriticSteps_UpdatesTheGeneratorAfterEverySecondStep()
    {
        var outcome = Train();

        Assert.Equal(9, outcome.Summary.Steps);
        Assert.Equal(4, outcome.Summary.GeneratorSteps);
        Assert.Equal([false, true, false, true, false, true, false, true, false],
            outcome.Steps.Select(step => step.Generator is not null).ToArray());
    }

    [Fact]
    public void Run_Wasserstein_KeepsEveryCriticParameterWithinTheClip()
    {
        var spec = SyntheticGanJobs.Spec(AdversarialSpec.Types.Loss.Wasserstein);
        spec.Adversarial.WeightClip = 0.02f;

        var outcome = Train(spec);

        Assert.InRange(outcome.Discriminator.Max(Math.Abs), 0f, 0.02f);
        Assert.Contains(outcome.Discriminator, value => Math.Abs(value) == 0.02f);
    }

    [Fact]
    public void Save_Checkpoint_HoldsBothNetworksAndBothOptimizers()
    {
        var outcome = Train(checkpoints: _directory);

        var checkpoint = new CheckpointStore(_directory).Load(outcome.Summary.Checkpoint!);

        Assert.Contains(checkpoint.Model, t => t.Name == "generator.fc1.weight");
        Assert.Contains(checkpoint.Model, t => t.Name == "generator.bn1.running_mean");
        Assert.Contains(checkpoint.Model, t => t.Name == "discriminator.out.bias");
        Assert.Contains(checkpoint.Optimizer, t => t.Name == "generator.exp_avg.fc1.weight");
        Assert.Contains(checkpoint.Optimizer, t => t.Name.StartsWith("discriminator.", StringComparison.Ordinal));
        Assert.Equal("Rmsprop", checkpoint.Manifest.OptimizerKind);
        Assert.Equal(("Adam", 4L), (checkpoint.Manifest.Generator!.OptimizerKind, checkpoint.Manifest.Generator.OptimizerStepCount));
    }

    [Fact]
    public void Run_EveryEpoch_ReportsAGridOfTheFixedNoise()
    {
        var outcome = Train();

        var grid = outcome.Epochs[^1].Grid;
        Assert.Equal(9, grid.Count);
        Assert.Equal(new ImageShape(1, 4, 4), grid.Shape);
        Assert.Equal(9 * 16, grid.Values.Length);
        Assert.True(grid.High > grid.Low);
    }

    private sealed class Observer : IAdversarialObserver
    {
        public List<AdversarialStepReport> Steps { get; } = [];

        public List<AdversarialEpochReport> Epochs { get; } = [];

        public void OnStep(AdversarialStepReport report) => Steps.Add(report);

        public void OnEpoch(AdversarialEpochReport report) => Epochs.Add(report);

        public void OnEvent(string message)
        {
        }
    }
}
