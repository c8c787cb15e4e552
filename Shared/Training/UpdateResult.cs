namespace DistributedTrainer.Training;

/// <summary>What the central update did in one step.</summary>
/// <param name="Applied">False when the step was skipped because its gradient held NaN or infinity.</param>
/// <param name="LearningRate">The scheduled learning rate of the step.</param>
/// <param name="GradientNorm">Global L2 norm of the averaged gradient before clipping.</param>
/// <param name="ClipScale">Factor the gradient was scaled by (1 when not clipped).</param>
/// <param name="Penalty">Regularization term added to the loss.</param>
/// <param name="NonFiniteIndex">First non-finite gradient element of a skipped step, or -1.</param>
public readonly record struct UpdateResult(bool Applied, float LearningRate, double GradientNorm, float ClipScale,
    double Penalty, int NonFiniteIndex)
{
    /// <summary>Per-tensor gradient norms and update ratios, on the steps <see cref="ParameterUpdater"/> measures them; else null.</summary>
    public IReadOnlyList<TensorHealth>? Health { get; init; }

    /// <summary>A skipped step.</summary>
    public static UpdateResult Skipped(float learningRate, int nonFiniteIndex) =>
        new(false, learningRate, double.NaN, 0f, 0.0, nonFiniteIndex);
}
