using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Numerics.Losses;

/// <summary>Maps the job spec's loss kind to its implementation.</summary>
public static class LossFactory
{
    /// <summary>The loss for <paramref name="kind"/>; losses are stateless, so one instance serves many batches.</summary>
    /// <exception cref="ArgumentException">The kind is unspecified or unknown.</exception>
    public static Loss Create(LossSpec.Types.Kind kind) => kind switch
    {
        LossSpec.Types.Kind.Mse => new MeanSquaredError(),
        LossSpec.Types.Kind.BinaryCrossEntropy => new BinaryCrossEntropy(),
        LossSpec.Types.Kind.SoftmaxCrossEntropy => new SoftmaxCrossEntropy(),
        LossSpec.Types.Kind.MultiLabelBinaryCrossEntropy => new MultiLabelBinaryCrossEntropy(),
        _ => throw new ArgumentException(
            $"Invalid loss kind: {kind} (must be one of MSE, BINARY_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY, MULTI_LABEL_BINARY_CROSS_ENTROPY)",
            nameof(kind)),
    };
}
