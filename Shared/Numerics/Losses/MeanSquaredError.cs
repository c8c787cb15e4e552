using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Losses;

/// <summary>
/// Squared error averaged over the C outputs of a sample: loss_b = (1/C) Σ_j (y_bj − t_bj)². Divided by the
/// batch size (as the coordinator does), it equals PyTorch's <c>MSELoss()</c> with the default mean reduction.
/// </summary>
public sealed class MeanSquaredError : Loss
{
    /// <inheritdoc />
    public override string Name => "mse";

    /// <inheritdoc />
    public override double Compute(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets,
        int batch, int classes)
    {
        LossArguments.Validate(Name, gradient.Length, outputs.Length, targets.Length, batch, classes);

        // outputs (B, C), targets (B, C) -> gradient (B, C) holds d = y − t until the last line.
        TensorPrimitives.Subtract(outputs, targets, gradient);
        double sum = 0;
        for (int b = 0; b < batch; b++)
        {
            // forward: loss_b = (1/C) Σ_j d_bj²; a float sum per row, rows summed in double.
            sum += TensorPrimitives.SumOfSquares(gradient.Slice(b * classes, classes));
        }
        // backward of the line above: dloss_b/dy_bj = 2 d_bj / C
        TensorPrimitives.Multiply(gradient, 2f / classes, gradient);
        return sum / classes;
    }
}
