namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>Decoupled weight decay, p -= lr * wd * p, applied as one multiply before the update.</summary>
internal static class DecoupledWeightDecay
{
    /// <summary>
    /// The factor (1 - lr * wd), formed in double and rounded once as torch.optim.AdamW's
    /// <c>param.mul_(1 - lr * weight_decay)</c> does. It is exactly 1 when <paramref name="weightDecay"/> is 0,
    /// so multiplying by it leaves undecayed tensors bit for bit unchanged.
    /// </summary>
    public static float Factor(float learningRate, float weightDecay) => (float)(1.0 - ((double)learningRate * weightDecay));
}
