using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>The losses over the model's outputs, one thread per row; each writes the gradient of the row's loss.</summary>
internal static class LossKernels
{
    // logits (B, C), labels (B) -> gradient (B, C), losses (B), correct (B); one thread per row
    public static void SoftmaxCrossEntropy(Index1D row, ArrayView<float> gradient, ArrayView<double> losses,
        ArrayView<int> correct, ArrayView<float> logits, ArrayView<int> labels, int classes)
    {
        long at = (long)row.X * classes;
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
        int label = labels[row];
        // forward: loss_b = log Σ_k e^(z_k − m) − (z_label − m)
        losses[row] = Math.Log(sumExp) - (logits[at + label] - max);
        // backward of the line above: dloss_b/dz_j = softmax_j − [j = label]
        float scale = (float)(1.0 / sumExp);
        for (int j = 0; j < classes; j++)
        {
            gradient[at + j] = gradient[at + j] * scale - (j == label ? 1f : 0f);
        }
        correct[row] = predicted == label ? 1 : 0;
    }

    // outputs (B, C), labels (B) -> gradient (B, C), losses (B), correct (B); one thread per row
    public static void MeanSquaredError(Index1D row, ArrayView<float> gradient, ArrayView<double> losses,
        ArrayView<int> correct, ArrayView<float> outputs, ArrayView<int> labels, int classes)
    {
        long at = (long)row.X * classes;
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
            gradient[at + j] = difference * (2f / classes);
        }
        losses[row] = sum / classes;
        correct[row] = predicted == label ? 1 : 0;
    }
}
