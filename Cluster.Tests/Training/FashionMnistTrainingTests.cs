using DistributedTrainer.Tests.Jobs;
using DistributedTrainer.Training;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Training;

/// <summary>The reference job, shortened to 3 epochs, on the real Fashion-MNIST data (.ci/run installs it).</summary>
public sealed class FashionMnistTrainingTests(ITestOutputHelper output)
{
    private sealed class EpochLog(ITestOutputHelper output) : ITrainingObserver
    {
        public void OnStep(StepReport report)
        {
        }

        public void OnEpoch(EpochReport report) =>
            output.WriteLine($"epoch {report.Epoch}: train {report.TrainAccuracy:P2}, test {report.TestAccuracy:P2}, {report.SamplesPerSecond:F0} samples/s");

        public void OnEvent(string message) => output.WriteLine(message);
    }

    [Fact]
    public void ReferenceExample_ThreeEpochs_ReachesAtLeast85PercentTestAccuracy()
    {
        string spec = Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-mlp.yaml");
        var job = JobInput.Load(spec, epochs: 3);
        using var trainer = SingleProcessTrainer.Create(job.Spec, job.Data);

        var summary = trainer.Run(new EpochLog(output));

        Assert.True(summary.TestAccuracy >= 0.85, $"test accuracy {summary.TestAccuracy:P2} after 3 epochs");
    }
}
