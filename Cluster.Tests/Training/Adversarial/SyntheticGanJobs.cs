using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Tests.Training.Adversarial;

/// <summary>Small in-memory GAN problems: 4x4 "images" from Gaussian blobs, and a spec touching every source of state.</summary>
internal static class SyntheticGanJobs
{
    /// <summary>Features per sample: a 4x4 grey image.</summary>
    public const int Features = 16;

    /// <summary>Blobs of <see cref="Features"/> features (labels unused by a GAN).</summary>
    public static LoadedData Data() => SyntheticJobs.Blobs(trainCount: 60, testCount: 20, features: Features);

    /// <summary>
    /// A GAN with batch norm and dropout in the generator, Adam and RMSProp with a warm-up schedule, two critic steps
    /// per generator step, micro-shards of 8 in batches of 20 (the last batch of an epoch is short).
    /// </summary>
    public static JobSpec Spec(AdversarialSpec.Types.Loss loss = AdversarialSpec.Types.Loss.NonSaturating, int epochs = 3) => new()
    {
        Name = "synthetic-gan",
        BatchSize = 20,
        Epochs = epochs,
        Seed = 77,
        MicroShardSize = 8,
        Checkpoint = new CheckpointSpec { Keep = 10 },
        Adversarial = new AdversarialSpec
        {
            Loss = loss,
            NoiseSize = 4,
            Noise = AdversarialSpec.Types.Noise.Normal,
            CriticSteps = 2,
            GridSamples = 9,
            Generator = new AdversarialNetworkSpec
            {
                Model = new ModelSpec
                {
                    Layers =
                    {
                        new LayerSpec { Name = "fc1", Dense = new DenseSpec { Units = 12 } },
                        new LayerSpec { Name = "bn1", BatchNorm = new BatchNormSpec() },
                        new LayerSpec { Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.LeakyRelu, NegativeSlope = 0.2f } },
                        new LayerSpec { Name = "drop", Dropout = new DropoutSpec { Rate = 0.1f } },
                        new LayerSpec { Name = "out", Dense = new DenseSpec { Units = Features } },
                    },
                },
                Optimizer = new OptimizerSpec { Kind = OptimizerSpec.Types.Kind.Adam, LearningRate = 0.01f, Beta1 = 0.5f },
                Schedule = new ScheduleSpec { Kind = ScheduleSpec.Types.Kind.Cosine, WarmupSteps = 2 },
            },
            Discriminator = new AdversarialNetworkSpec
            {
                Model = new ModelSpec
                {
                    Layers =
                    {
                        new LayerSpec { Name = "fc1", Dense = new DenseSpec { Units = 10 } },
                        new LayerSpec { Name = "bn1", BatchNorm = new BatchNormSpec() },
                        new LayerSpec { Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                        new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 1 } },
                    },
                },
                Optimizer = new OptimizerSpec { Kind = OptimizerSpec.Types.Kind.Rmsprop, LearningRate = 0.005f },
            },
        },
    };
}
