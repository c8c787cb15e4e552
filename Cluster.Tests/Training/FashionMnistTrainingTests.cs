using DistributedTrainer.Tests.Jobs;
using DistributedTrainer.Training;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Training;

/// <summary>The reference job, shortened to 3 epochs, on the real Fashion-MNIST data (.ci/run installs it).</summary>
public sealed class FashionMnistTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void ReferenceExample_ThreeEpochs_ReachesAtLeast85PercentTestAccuracy()
    {
        string spec = Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-mlp.yaml");
        var job = JobInput.Load(spec, epochs: 3);
        using var trainer = Trainer.Create(job.Spec, job.Data);

        var summary = trainer.Run(new RecordingObserver(output.WriteLine));

        Assert.True(summary.TestAccuracy >= 0.85, $"test accuracy {summary.TestAccuracy:P2} after 3 epochs");
    }
}
