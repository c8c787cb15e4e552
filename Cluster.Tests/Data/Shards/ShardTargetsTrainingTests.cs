using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Data.Shards;

/// <summary>Regression and multi-label targets loaded from shards train with MSE and multi-label cross-entropy.</summary>
public sealed class ShardTargetsTrainingTests
{
    // 64 samples of 3 features; targets from `target`, written to train and test shard directories.
    private static DatasetSpec Write(TemporaryDirectory directory, TargetKind kind, int width, Func<float[], int, float> target)
    {
        var random = new Random(2);
        float[] features = [.. Enumerable.Range(0, 64 * 3).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] targets = [.. Enumerable.Range(0, 64 * width).Select(i => target(features.AsSpan(i / width * 3, 3).ToArray(), i % width))];
        int[] shape = [width];
        return new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Shards,
            TrainPath = ShardTestData.WriteFloatShards(directory.File("train"), features, 3, kind, targets, shape, 16),
            TestPath = ShardTestData.WriteFloatShards(directory.File("test"), features, 3, kind, targets, shape, 64),
            Normalization = DatasetSpec.Types.Normalization.None,
        };
    }

    private static List<EpochReport> Train(JobSpec spec)
    {
        var input = JobInput.FromSpec(spec);
        using var trainer = Trainer.Create(input.Spec, input.Data);
        var observer = new RecordingObserver();
        trainer.Run(observer);
        return observer.Epochs;
    }

    [Fact]
    public void Train_RealTargetsWithMse_LowersTheTestLoss()
    {
        using var directory = new TemporaryDirectory();
        var dataset = Write(directory, TargetKind.Real, 2, (x, j) => j == 0 ? x[0] + 2 * x[1] : x[2] - x[0]);

        var epochs = Train(ShardTestData.Job(dataset, outputs: 2, loss: LossSpec.Types.Kind.Mse, epochs: 8));

        Assert.True(epochs[^1].TestLoss < epochs[0].TestLoss / 2, $"test loss {epochs[0].TestLoss} -> {epochs[^1].TestLoss}");
    }

    [Fact]
    public void Train_MultiHotTargets_LearnsExactMatches()
    {
        using var directory = new TemporaryDirectory();
        var dataset = Write(directory, TargetKind.MultiHot, 3, (x, j) => x[j] > 0 ? 1f : 0f);

        var epochs = Train(ShardTestData.Job(dataset, outputs: 3, loss: LossSpec.Types.Kind.MultiLabelBinaryCrossEntropy, epochs: 20));

        Assert.True(epochs[^1].TestAccuracy > 0.8, $"exact-match accuracy {epochs[^1].TestAccuracy}");
    }

    [Fact]
    public void FromSpec_RealTargetsWithSoftmax_NamesTheLossKind()
    {
        using var directory = new TemporaryDirectory();
        var dataset = Write(directory, TargetKind.Real, 2, (x, j) => x[j]);

        var error = Assert.Throws<JobInputException>(() => JobInput.FromSpec(ShardTestData.Job(dataset, outputs: 2)));

        Assert.Contains("loss.kind: must be MSE for the data set's real-valued targets, got SOFTMAX_CROSS_ENTROPY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromSpec_RealTargetsWithTheWrongOutputCount_NamesTheLastDenseLayer()
    {
        using var directory = new TemporaryDirectory();
        var dataset = Write(directory, TargetKind.Real, 2, (x, j) => x[j]);

        var error = Assert.Throws<JobInputException>(() => JobInput.FromSpec(ShardTestData.Job(dataset, outputs: 3, loss: LossSpec.Types.Kind.Mse)));

        Assert.Contains("model.layers[2].dense.units: the model's output must be 2 (one output per target value for MSE), got 3", error.Message, StringComparison.Ordinal);
    }
}
