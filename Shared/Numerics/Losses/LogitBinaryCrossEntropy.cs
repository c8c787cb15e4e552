using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Losses;

/// <summary>
/// Binary cross-entropy on logits, element by element, in the stable form PyTorch's BCEWithLogitsLoss uses.
/// Shared by the single-label and the multi-label loss, which differ only in how they scale it.
/// </summary>
internal static class LogitBinaryCrossEntropy
{
    /// <summary>
    /// logits (N), targets (N) -> gradient (N) = scale · (sigmoid(z) − t). Returns Σ of the unscaled element losses
    /// in double precision.
    /// </summary>
    public static double Compute(Span<float> gradient, ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, float scale)
    {
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double z = logits[i];
            // forward: l = −t log σ(z) − (1 − t) log(1 − σ(z)) = max(z, 0) − z t + log(1 + e^−|z|),
            // which never exponentiates a positive number, so ±1e4 stays finite.
            sum += Math.Max(z, 0) - z * targets[i] + Log1PlusExpNegative(Math.Abs(z));
        }
        // backward of the line above: dl/dz = σ(z) − t. σ saturates to exactly 0 or 1, never NaN.
        TensorPrimitives.Sigmoid(logits, gradient);
        TensorPrimitives.Subtract(gradient, targets, gradient);
        if (scale != 1f)
        {
            TensorPrimitives.Multiply(gradient, scale, gradient);
        }
        return sum;
    }

    /// <summary>log(1 + e^−a) for a ≥ 0, accurate when e^−a is far below machine epsilon.</summary>
    internal static double Log1PlusExpNegative(double a)
    {
        double x = Math.Exp(-a);
        double u = 1.0 + x;
        // Goldberg's log1p: when 1 + x rounds, log(u)·x/(u − 1) cancels the rounding error of u.
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}
