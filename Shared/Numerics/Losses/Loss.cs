namespace DistributedTrainer.Numerics.Losses;

/// <summary>
/// A loss over a batch of model outputs (B, C) against targets (B, C). Returns the SUM over the batch and
/// writes the gradient of that sum, because micro-batches from many workers are summed first and the
/// coordinator divides once by the global batch size.
/// </summary>
public abstract class Loss
{
    /// <summary>Name used in messages and metrics ("softmax_cross_entropy").</summary>
    public abstract string Name { get; }

    /// <summary>
    /// gradient (B, C) &lt;- d(sum of losses)/d(outputs); outputs (B, C), targets (B, C). Returns the sum of
    /// per-sample losses in double precision.
    /// </summary>
    public abstract double Compute(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets,
        int batch, int classes);
}
