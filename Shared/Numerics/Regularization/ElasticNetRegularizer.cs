namespace DistributedTrainer.Numerics.Regularization;

/// <summary>Elastic net: penalty = l1 · Σ|w| + l2 / 2 · Σw² over weights, both terms in one pass.</summary>
public sealed class ElasticNetRegularizer : Regularizer
{
    /// <param name="l1">Strength of the absolute-value term, finite and >= 0.</param>
    /// <param name="l2">Strength of the squared term, finite and >= 0.</param>
    public ElasticNetRegularizer(float l1, float l2)
    {
        L1 = CheckStrength(l1, nameof(l1));
        L2 = CheckStrength(l2, nameof(l2));
    }

    /// <summary>Strength of the absolute-value term.</summary>
    public float L1 { get; }

    /// <summary>Strength of the squared term.</summary>
    public float L2 { get; }

    private protected override double Penalize(Span<float> gradients, ReadOnlySpan<float> weights)
    {
        double absolute = 0;
        double squared = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            // forward: penalty = l1 Σ|w| + l2/2 Σw²
            absolute += Math.Abs(w);
            squared += (double)w * w;
            // backward: dpenalty/dw = l1 sign(w) + l2 w, with sign(0) = 0
            gradients[i] += (w > 0f ? L1 : w < 0f ? -L1 : 0f) + L2 * w;
        }
        return L1 * absolute + 0.5 * L2 * squared;
    }
}
