namespace DistributedTrainer.Numerics.Losses;

/// <summary>
/// Binary cross-entropy from one logit per sample (C = 1) against a 0/1 label (soft labels in [0, 1] are
/// accepted too): loss_b = max(z, 0) − z t + log(1 + e^−|z|), PyTorch's <c>BCEWithLogitsLoss</c> per sample.
/// The model's last layer must not apply a sigmoid: this loss does, stably.
/// </summary>
public sealed class BinaryCrossEntropy : Loss
{
    /// <inheritdoc />
    public override string Name => "binary_cross_entropy";

    /// <inheritdoc />
    public override double Compute(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets,
        int batch, int classes)
    {
        if (classes != 1)
        {
            throw new ArgumentOutOfRangeException(nameof(classes),
                $"Invalid classes for {Name}: {classes} (must be 1: one logit per sample; use multi_label_binary_cross_entropy for several)");
        }
        LossArguments.Validate(Name, gradient.Length, outputs.Length, targets.Length, batch, classes);
        LossArguments.ValidateProbabilities(Name, targets, classes);

        // logits (B, 1), targets (B, 1) -> gradient (B, 1)
        return LogitBinaryCrossEntropy.Compute(gradient, outputs, targets, 1f);
    }
}
