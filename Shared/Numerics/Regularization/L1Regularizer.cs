namespace DistributedTrainer.Numerics.Regularization;

/// <summary>Lasso: penalty = l1 · Σ|w| over weights, pushing small weights to exactly zero.</summary>
public sealed class L1Regularizer : Regularizer
{
    /// <param name="l1">Strength, finite and >= 0 (per unit of mean loss).</param>
    public L1Regularizer(float l1)
    {
        L1 = CheckStrength(l1, nameof(l1));
    }

    /// <summary>Strength of the absolute-value term.</summary>
    public float L1 { get; }

    private protected override double Penalize(Span<float> gradients, ReadOnlySpan<float> weights)
    {
        // One fused pass: the penalty accumulates in double while the gradient is written (TensorPrimitives has
        // no sign that yields floats, and a second pass would read the weights twice).
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            // forward: penalty = l1 Σ|w|
            sum += Math.Abs(w);
            // backward: dpenalty/dw = l1 sign(w), with sign(0) = 0: the subgradient that leaves zero weights at zero
            gradients[i] += w > 0f ? L1 : w < 0f ? -L1 : 0f;
        }
        return L1 * sum;
    }
}
