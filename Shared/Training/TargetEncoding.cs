using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>Turns integer labels into the loss's target rows and counts correct predictions.</summary>
public static class TargetEncoding
{
    /// <summary>Output features the model must produce for a loss over <paramref name="classCount"/> classes.</summary>
    public static int OutputsFor(LossSpec.Types.Kind loss, int classCount) =>
        loss == LossSpec.Types.Kind.BinaryCrossEntropy ? 1 : classCount;

    /// <summary>
    /// targets (B, C) &lt;- labels (B): one-hot rows, or the 0/1 label itself when C is 1 (binary cross-entropy);
    /// an <see cref="Dataset.Unscored"/> label gives a zero row, which has zero loss and zero gradient.
    /// </summary>
    public static void Encode(Span<float> targets, ReadOnlySpan<int> labels, int classes)
    {
        targets[..(labels.Length * classes)].Clear();
        for (int row = 0; row < labels.Length; row++)
        {
            if (labels[row] == Dataset.Unscored)
            {
                continue;
            }
            if (classes == 1)
            {
                targets[row] = labels[row] == 0 ? 0f : 1f;
            }
            else
            {
                targets[row * classes + labels[row]] = 1f;
            }
        }
    }

    /// <summary>
    /// Rows of outputs (B, C) whose prediction matches the label: the arg-max for C &gt; 1 (lowest index on
    /// ties), a positive logit for C = 1. <see cref="Dataset.Unscored"/> rows never count.
    /// </summary>
    public static int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classes)
    {
        int correct = 0;
        for (int row = 0; row < labels.Length; row++)
        {
            if (labels[row] == Dataset.Unscored)
            {
                continue;
            }
            var values = outputs.Slice(row * classes, classes);
            int predicted = classes == 1
                ? (values[0] > 0f ? 1 : 0)
                : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values);
            if (predicted == (classes == 1 ? (labels[row] == 0 ? 0 : 1) : labels[row]))
            {
                correct++;
            }
        }
        return correct;
    }

    /// <summary>
    /// Rows of outputs (B, C) that match target vectors (B, C): for multi-hot targets every logit's sign agrees with
    /// its 0/1 target (exact-match accuracy); real targets have no notion of correct, so 0.
    /// </summary>
    public static int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int classes, TargetKind kind)
    {
        if (kind != TargetKind.MultiHot)
        {
            return 0;
        }
        int correct = 0;
        int rows = targets.Length / classes;
        for (int row = 0; row < rows; row++)
        {
            bool all = true;
            for (int j = row * classes; all && j < (row + 1) * classes; j++)
            {
                all = outputs[j] > 0f == targets[j] >= 0.5f;
            }
            correct += all ? 1 : 0;
        }
        return correct;
    }

    /// <summary>
    /// The loss of <paramref name="rows"/> samples of <paramref name="steps"/> time steps each: outputs and targets
    /// (rows, steps x classes) are read as (rows x steps, classes), one prediction per step, and each sample's loss
    /// is the mean over its steps (so a per-sample average is a per-step one, in nats per character for a TEXT
    /// model). Writes the gradient of the returned sum into <paramref name="gradient"/>.
    /// </summary>
    public static double StepLoss(Loss loss, Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets,
        int rows, int steps, int classes)
    {
        ArgumentNullException.ThrowIfNull(loss);
        double sum = loss.Compute(gradient, outputs, targets, rows * steps, classes);
        if (steps == 1)
        {
            return sum;
        }
        // forward: loss_b = (1/T) sum_t loss_bt  =>  d loss_b / d z_bt = (1/T) d loss_bt / d z_bt
        System.Numerics.Tensors.TensorPrimitives.Multiply(gradient, 1f / steps, gradient);
        return sum / steps;
    }
}
