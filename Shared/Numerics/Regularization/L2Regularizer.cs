namespace DistributedTrainer.Numerics.Regularization;

/// <summary>
/// Ridge: penalty = l2 / 2 · Σw² over weights. Unlike decoupled weight decay (AdamW) it flows through the
/// optimizer's adaptive scaling, as PyTorch's <c>weight_decay</c> on Adam does.
/// </summary>
public sealed class L2Regularizer : Regularizer
{
    /// <param name="l2">Strength, finite and >= 0 (per unit of mean loss).</param>
    public L2Regularizer(float l2)
    {
        L2 = CheckStrength(l2, nameof(l2));
    }

    /// <summary>Strength of the squared term.</summary>
    public float L2 { get; }

    private protected override double Penalize(Span<float> gradients, ReadOnlySpan<float> weights)
    {
        // One fused pass so the penalty accumulates in double while the gradient is written.
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            // forward: penalty = l2/2 Σw²
            sum += (double)w * w;
            // backward: dpenalty/dw = l2 w
            gradients[i] += L2 * w;
        }
        return 0.5 * L2 * sum;
    }
}
