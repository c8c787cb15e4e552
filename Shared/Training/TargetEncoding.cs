using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>Turns integer labels into the loss's target rows and counts correct predictions.</summary>
public static class TargetEncoding
{
    /// <summary>Output features the model must produce for a loss over <paramref name="classCount"/> classes.</summary>
    public static int OutputsFor(LossSpec.Types.Kind loss, int classCount) =>
        loss == LossSpec.Types.Kind.BinaryCrossEntropy ? 1 : classCount;

    /// <summary>
    /// targets (B, C) &lt;- labels (B): one-hot rows, or the 0/1 label itself when C is 1 (binary cross-entropy).
    /// </summary>
    public static void Encode(Span<float> targets, ReadOnlySpan<int> labels, int classes)
    {
        targets[..(labels.Length * classes)].Clear();
        for (int row = 0; row < labels.Length; row++)
        {
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
    /// ties), a positive logit for C = 1.
    /// </summary>
    public static int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<int> labels, int classes)
    {
        int correct = 0;
        for (int row = 0; row < labels.Length; row++)
        {
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
}
