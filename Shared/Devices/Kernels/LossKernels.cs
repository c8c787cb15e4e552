using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The losses over the model's outputs, one thread per row; each writes the gradient of the row's loss times
/// <c>scale</c>. A row is a sample, or one time step of a sample with a target per step (a TEXT window of T steps,
/// whose loss is the mean over its steps: scale 1/T, as <see cref="Training.TargetEncoding.StepLoss"/> scales the CPU
/// gradient). An <see cref="Data.Dataset.Unscored"/> label is a zero target row, as on the CPU.
/// </summary>
internal static class LossKernels
{
    // logits (B, C), labels (B) -> gradient (B, C), losses (B), correct (B); one thread per row
    public static void SoftmaxCrossEntropy(Index1D row, ArrayView<float> gradient, ArrayView<double> losses,
        ArrayView<int> correct, ArrayView<float> logits, ArrayView<int> labels, int classes, float scale)
    {
        long at = (long)row.X * classes;
        int label = labels[row];
        if (label < 0)
        {
            // An unscored step: a zero target row has zero loss and zero gradient, and never counts as correct.
            for (int j = 0; j < classes; j++)
            {
                gradient[at + j] = 0f;
            }
            losses[row] = 0.0;
            correct[row] = 0;
            return;
        }
        // The max shift keeps every exponent <= 0; the first maximum is the prediction (lowest index on ties).
        float max = logits[at];
        int predicted = 0;
        for (int j = 1; j < classes; j++)
        {
            if (logits[at + j] > max)
            {
                max = logits[at + j];
                predicted = j;
            }
        }
        float sumExp = 0f;
        for (int j = 0; j < classes; j++)
        {
            float e = MathF.Exp(logits[at + j] - max);
            gradient[at + j] = e;
            sumExp += e;
        }
        // forward: loss_b = log Σ_k e^(z_k − m) − (z_label − m)
        losses[row] = Math.Log(sumExp) - (logits[at + label] - max);
        // backward of the line above: dloss_b/dz_j = softmax_j − [j = label], times the row's weight in its sample's loss
        float inverse = (float)(1.0 / sumExp);
        for (int j = 0; j < classes; j++)
        {
            gradient[at + j] = (gradient[at + j] * inverse - (j == label ? 1f : 0f)) * scale;
        }
        correct[row] = predicted == label ? 1 : 0;
    }

    // outputs (B, C), labels (B) -> gradient (B, C), losses (B), correct (B); one thread per row
    public static void MeanSquaredError(Index1D row, ArrayView<float> gradient, ArrayView<double> losses,
        ArrayView<int> correct, ArrayView<float> outputs, ArrayView<int> labels, int classes, float scale)
    {
        long at = (long)row.X * classes;
        // An unscored label (negative) matches no class: a zero target row, as on the CPU.
        int label = labels[row];
        float max = outputs[at];
        int predicted = 0;
        double sum = 0;
        for (int j = 0; j < classes; j++)
        {
            float y = outputs[at + j];
            if (y > max)
            {
                max = y;
                predicted = j;
            }
            float difference = y - (j == label ? 1f : 0f);
            // forward: loss_b = (1/C) Σ_j (y_j − t_j)²  =>  dloss_b/dy_j = (2/C)(y_j − t_j)
            sum += (double)difference * difference;
            gradient[at + j] = difference * (2f / classes) * scale;
        }
        losses[row] = sum / classes;
        correct[row] = predicted == label ? 1 : 0;
    }
}
