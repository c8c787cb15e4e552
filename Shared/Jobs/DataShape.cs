namespace DistributedTrainer.Jobs;

/// <summary>
/// What the data looks like, when the caller knows it (from the dataset header): features per sample and number of
/// classes. Given to <see cref="JobSpecValidator.Validate"/>, it turns on the checks that follow sizes through the
/// model (residual and highway bodies, output size, initializer fan-in, parameter count).
/// </summary>
/// <param name="InputFeatures">Features per sample, &gt; 0 (784 for 28x28 images).</param>
/// <param name="ClassCount">Number of classes, &gt; 0 (10 for Fashion-MNIST).</param>
public readonly record struct DataShape(int InputFeatures, int ClassCount)
{
    /// <summary>
    /// What the targets are (class ids unless a shard index says otherwise); for multi-hot and real targets
    /// <see cref="ClassCount"/> is the number of target values per sample, which the model must output.
    /// </summary>
    public Data.TargetKind Targets { get; init; }
}
