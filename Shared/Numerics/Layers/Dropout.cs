using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Inverted dropout: in training each activation is zeroed with probability <see cref="Rate"/> and the kept
/// ones scale by 1/(1-rate), so evaluation is the identity. The mask of a row comes from the counter RNG keyed
/// by (seed, step, global sample id, layer index), so a sample's mask never depends on which worker or batch
/// position holds it.
/// </summary>
public sealed class Dropout : Layer
{
    // (B, F): per-element factor of the last training pass, 0 or 1/(1-rate).
    private readonly BatchScratch _mask;

    /// <param name="name">Layer name.</param>
    /// <param name="size">Features in and out.</param>
    /// <param name="rate">Probability of zeroing each activation in training, in [0, 1).</param>
    public Dropout(string name, int size, float rate)
        : base(name, size)
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentException($"Invalid dropout rate for layer '{name}': {rate} (must be in [0, 1)).", nameof(rate));
        }
        Rate = rate;
        _mask = new BatchScratch(size);
    }

    public override int OutputSize => InputSize;

    /// <summary>Probability of zeroing each activation in training.</summary>
    public float Rate { get; }

    public override void Reserve(int maxBatch) => _mask.Reserve(maxBatch);

    // input (B, F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int length = batch * InputSize;
        if (!Active(context))
        {
            input[..length].CopyTo(output);
            return;
        }
        if (context.SampleIds.Length < batch)
        {
            throw new ArgumentException(
                $"Dropout '{Name}' needs a sample id for each of {batch} rows but the step context has {context.SampleIds.Length}.",
                nameof(context));
        }
        Span<float> mask = _mask.Rows(batch);
        float keep = 1f / (1f - Rate);
        for (int row = 0; row < batch; row++)
        {
            Span<float> rowMask = mask.Slice(row * InputSize, InputSize);
            CounterRng.FillUniform(rowMask, context.Seed, context.Step, context.SampleIds[row], Index);
            for (int j = 0; j < rowMask.Length; j++)
            {
                rowMask[j] = rowMask[j] >= Rate ? keep : 0f;
            }
        }
        // forward: y = x ⊙ mask / (1-rate)
        TensorPrimitives.Multiply(input[..length], mask, output[..length]);
    }

    // outputGradient (B, F) -> inputGradient (B, F)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }
        int length = batch * InputSize;
        if (!Active(context))
        {
            outputGradient[..length].CopyTo(inputGradient);
            return;
        }
        // forward: y = x ⊙ mask / (1-rate)  =>  dx = dy ⊙ mask / (1-rate)
        TensorPrimitives.Multiply(outputGradient[..length], _mask.Rows(batch), inputGradient[..length]);
    }

    private bool Active(StepContext context) => context.Training && Rate > 0;

    protected override void Dispose(bool disposing)
    {
        _mask.Dispose();
        base.Dispose(disposing);
    }
}
