using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Losses;

/// <summary>
/// Softmax and cross-entropy fused: logits (B, C) against target rows that are one-hot or probabilities,
/// loss_b = −Σ_j t_bj log softmax(z_b)_j, PyTorch's <c>CrossEntropyLoss</c> per sample. The model's last
/// layer must not apply a softmax: this loss does, with a max shift so logits of ±1e4 stay finite.
/// </summary>
public sealed class SoftmaxCrossEntropy : Loss
{
    /// <inheritdoc />
    public override string Name => "softmax_cross_entropy";

    /// <inheritdoc />
    public override double Compute(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets,
        int batch, int classes)
    {
        LossArguments.Validate(Name, gradient.Length, outputs.Length, targets.Length, batch, classes);

        double sum = 0;
        for (int b = 0; b < batch; b++)
        {
            // logits (C), target (C) -> row (C); row first holds the shifted logits, then the gradient.
            var logits = outputs.Slice(b * classes, classes);
            var target = targets.Slice(b * classes, classes);
            var row = gradient.Slice(b * classes, classes);

            // Shifting by the row max makes every exponent <= 0 and leaves softmax unchanged.
            float max = TensorPrimitives.Max(logits);
            TensorPrimitives.Subtract(logits, max, row);
            double targetDotShifted = TensorPrimitives.Dot(target, row);
            double targetMass = TensorPrimitives.Sum(target);
            TensorPrimitives.Exp(row, row);
            double sumExp = TensorPrimitives.Sum(row);
            // forward: loss_b = Σ_j t_j (lse − z_j) = (Σ_j t_j) log Σ_k e^(z_k − m) − Σ_j t_j (z_j − m)
            sum += targetMass * Math.Log(sumExp) - targetDotShifted;
            // backward of the line above: dloss_b/dz_j = (Σ_k t_k) softmax_j − t_j, which is softmax − t for
            // a probability row and stays exact for rows that do not sum to one.
            TensorPrimitives.Multiply(row, (float)(targetMass / sumExp), row);
            TensorPrimitives.Subtract(row, target, row);
        }
        return sum;
    }
}
