using Xunit;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics;
using DistributedTrainer.Training;

namespace DistributedTrainer.Tests.Training;

[Collection(ComputeThreadsCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dt-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static (float[] Parameters, float[] Buffers, TrainingSummary Summary) Train(
        string? checkpoints = null, string? resume = null, long stopAfter = long.MaxValue)
    {
        using var trainer = Trainer.Create(SyntheticJobs.Spec(), SyntheticJobs.Blobs(), checkpoints, resume);
        var summary = trainer.Run(new RecordingObserver(), stopAfterSteps: stopAfter);
        return (trainer.Model.Store.Values.ToArray(), trainer.Model.Store.BufferValues.ToArray(), summary);
    }

    [Fact]
    public void Run_SameSpecAndSeedTwice_GivesBitwiseIdenticalParameters()
    {
        var first = Train();
        var second = Train();

        Assert.Equal(first.Parameters, second.Parameters);
        Assert.Equal(first.Buffers, second.Buffers);
    }

    [Fact]
    public void Run_OneAndTwoGemmThreads_GiveBitwiseIdenticalParameters()
    {
        int saved = ComputeThreads.Count;
        try
        {
            ComputeThreads.Count = 1;
            var one = Train();
            ComputeThreads.Count = 2;
            var two = Train();

            Assert.Equal(one.Parameters, two.Parameters);
            Assert.Equal(one.Buffers, two.Buffers);
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
    }

    [Fact]
    public void Run_SeparableBlobs_LearnsThem()
    {
        var result = Train();

        Assert.True(result.Summary.TestAccuracy >= 0.9, $"test accuracy {result.Summary.TestAccuracy:P1}");
        Assert.Equal(3, result.Summary.Epochs);
        Assert.Equal(36, result.Summary.Steps);
    }

    [Fact]
    public void Resume_FromCheckpointInTheMiddleOfAnEpoch_MatchesUninterruptedRunBitwise()
    {
        var uninterrupted = Train();

        // 17 steps: one full epoch of 12 steps and 5 steps into the second.
        var stopped = Train(checkpoints: _directory, stopAfter: 17);
        Assert.Equal(17, stopped.Summary.Steps);
        var resumed = Train(checkpoints: _directory + "-resumed", resume: stopped.Summary.Checkpoint);

        Assert.Equal(uninterrupted.Parameters, resumed.Parameters);
        Assert.Equal(uninterrupted.Buffers, resumed.Buffers);
        Assert.Equal(uninterrupted.Summary.Steps, resumed.Summary.Steps);
        Directory.Delete(_directory + "-resumed", recursive: true);
    }

    [Fact]
    public async Task RunAsync_CancelledInTheFirstEpochsEvaluation_CheckpointsItsStepsAndResumesBitwise()
    {
        var uninterrupted = Train();
        var spec = SyntheticJobs.Spec();
        var data = SyntheticJobs.Blobs();
        using var stop = new CancellationTokenSource();

        using (var trainer = Trainer.Create(spec, data, model => new StoppedAtEvaluation(new LocalGradientBackend(spec, data, model), stop), _directory))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trainer.RunAsync(new RecordingObserver(), cancellation: stop.Token).AsTask());
        }
        string? saved = new CheckpointStore(_directory).LoadLatest().Directory;
        Assert.Equal("step-000000012", Path.GetFileName(saved));
        var resumed = Train(checkpoints: _directory + "-resumed", resume: saved);

        Assert.Equal(uninterrupted.Parameters, resumed.Parameters);
        Assert.Equal(uninterrupted.Buffers, resumed.Buffers);
        Assert.Equal(uninterrupted.Summary.Steps, resumed.Summary.Steps);
        Directory.Delete(_directory + "-resumed", recursive: true);
    }

    /// <summary>A local backend whose first evaluation is stopped, as a coordinator's SIGTERM stops a job at an epoch's end.</summary>
    private sealed class StoppedAtEvaluation(LocalGradientBackend inner, CancellationTokenSource stop) : IGradientBackend
    {
        public ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient, CancellationToken cancellationToken) =>
            inner.ComputeAsync(step, batch, gradient, cancellationToken);

        public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken)
        {
            stop.Cancel();
            cancellationToken.ThrowIfCancellationRequested();
            return inner.EvaluateAsync(split, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }
}
