namespace DistributedTrainer.Numerics.Losses;

/// <summary>
/// One independent sigmoid per output against a multi-hot target: loss_b = (1/C) Σ_j bce(z_bj, t_bj) with the
/// stable logit form of <see cref="BinaryCrossEntropy"/>. Divided by the batch size it equals PyTorch's
/// <c>BCEWithLogitsLoss()</c> with the default mean reduction.
/// </summary>
public sealed class MultiLabelBinaryCrossEntropy : Loss
{
    /// <inheritdoc />
    public override string Name => "multi_label_binary_cross_entropy";

    /// <inheritdoc />
    public override double Compute(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets,
        int batch, int classes)
    {
        LossArguments.Validate(Name, gradient.Length, outputs.Length, targets.Length, batch, classes);
        LossArguments.ValidateProbabilities(Name, targets, classes);

        // logits (B, C), targets (B, C) -> gradient (B, C)
        // forward: loss_b = (1/C) Σ_j bce_bj  =>  dloss_b/dz_bj = (σ(z_bj) − t_bj) / C
        return LogitBinaryCrossEntropy.Compute(gradient, outputs, targets, 1f / classes) / classes;
    }
}
