using Xunit;
using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Tests.Training;

/// <summary>Small in-memory problems and specs for training tests.</summary>
internal static class SyntheticJobs
{
    /// <summary>Gaussian blobs: <paramref name="classes"/> well separated centres in <paramref name="features"/> dimensions.</summary>
    public static LoadedData Blobs(int trainCount = 240, int testCount = 90, int features = 6, int classes = 3, int seed = 11)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, classes)
            .Select(_ => Enumerable.Range(0, features).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray())
            .ToArray();
        Dataset Make(int count)
        {
            var values = new float[count * features];
            var labels = new int[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = i % classes;
                for (int f = 0; f < features; f++)
                {
                    values[i * features + f] = centres[labels[i]][f] + (float)((random.NextDouble() - 0.5) * 1.2);
                }
            }
            return Dataset.FromFloats(values, labels, features, classes);
        }
        var train = Make(trainCount);
        var test = Make(testCount);
        return new LoadedData(train, null, test, classes, features);
    }

    /// <summary>
    /// A spec that touches every source of randomness and state: dropout, DropConnect, batch norm, a residual
    /// block, Adam, a schedule with warm-up, clipping and L2.
    /// </summary>
    public static JobSpec Spec(int epochs = 3, int batch = 20, int shard = 8) => new()
    {
        Name = "synthetic",
        BatchSize = batch,
        Epochs = epochs,
        Seed = 1234,
        MicroShardSize = shard,
        Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Name = "fc1", Dense = new DenseSpec { Units = 16, DropConnect = 0.1f } },
                new LayerSpec { Name = "bn1", BatchNorm = new BatchNormSpec() },
                new LayerSpec { Name = "act1", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } },
                new LayerSpec
                {
                    Name = "block",
                    Residual = new ResidualSpec
                    {
                        Layers =
                        {
                            new LayerSpec { Name = "fc", Dense = new DenseSpec { Units = 16 } },
                            new LayerSpec { Name = "act", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                        },
                    },
                },
                new LayerSpec { Name = "drop", Dropout = new DropoutSpec { Rate = 0.2f } },
                new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 3 } },
            },
        },
        Loss = new LossSpec { Kind = LossSpec.Types.Kind.SoftmaxCrossEntropy },
        Optimizer = new OptimizerSpec { Kind = OptimizerSpec.Types.Kind.Adam, LearningRate = 0.01f },
        Schedule = new ScheduleSpec { Kind = ScheduleSpec.Types.Kind.Cosine, WarmupSteps = 3 },
        Regularization = new RegularizationSpec { L2 = 1e-4f },
        Clipping = new ClippingSpec { MaxGlobalNorm = 5f },
        Checkpoint = new CheckpointSpec { Keep = 10 },
    };
}
