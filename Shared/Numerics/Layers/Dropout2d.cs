using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Inverted dropout of whole feature maps (PyTorch's Dropout2d): in training each channel of each sample is
/// zeroed with probability <see cref="Rate"/> and the kept ones scale by 1/(1-rate); evaluation is the identity.
/// Neighbouring pixels of a map are strongly correlated, so dropping single pixels barely regularizes a
/// convolution. A sample's channel mask comes from the counter RNG keyed by (seed, step, global sample id, layer
/// index), so it never depends on which worker or batch position holds the sample.
/// </summary>
public sealed class Dropout2d : Layer, IImageLayer
{
    private readonly ImageShape _shape;
    // (B, C): per-channel factor of the last training pass, 0 or 1/(1-rate).
    private readonly BatchScratch _mask;

    /// <param name="name">Layer name.</param>
    /// <param name="shape">The image of each input row; output rows have the same shape.</param>
    /// <param name="rate">Probability of zeroing each channel in training, in [0, 1).</param>
    public Dropout2d(string name, ImageShape shape, float rate)
        : base(name, shape.Size)
    {
        shape.Validate(name);
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentException($"Invalid dropout rate for layer '{name}': {rate} (must be in [0, 1)).", nameof(rate));
        }
        _shape = shape;
        Rate = rate;
        _mask = new BatchScratch(shape.Channels);
    }

    /// <inheritdoc/>
    public ImageShape OutputShape => _shape;

    public override int OutputSize => InputSize;

    /// <summary>Probability of zeroing each channel in training.</summary>
    public float Rate { get; }

    public override void Reserve(int maxBatch) => _mask.Reserve(maxBatch);

    // input (B, C, H, W) -> output (B, C, H, W)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int length = batch * InputSize, channels = _shape.Channels, plane = _shape.PlaneSize;
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
        for (int b = 0; b < batch; b++)
        {
            Span<float> sampleMask = mask.Slice(b * channels, channels);
            CounterRng.FillUniform(sampleMask, context.Seed, context.Step, context.SampleIds[b], Index);
            for (int c = 0; c < channels; c++)
            {
                sampleMask[c] = sampleMask[c] >= Rate ? keep : 0f;
                // forward: y = x ⊙ mask[channel] / (1-rate)
                TensorPrimitives.Multiply(input.Slice((b * InputSize) + (c * plane), plane), sampleMask[c],
                    output.Slice((b * InputSize) + (c * plane), plane));
            }
        }
    }

    // outputGradient (B, C, H, W) -> inputGradient (B, C, H, W)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }
        int length = batch * InputSize, channels = _shape.Channels, plane = _shape.PlaneSize;
        if (!Active(context))
        {
            outputGradient[..length].CopyTo(inputGradient);
            return;
        }
        ReadOnlySpan<float> mask = _mask.Rows(batch);
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                // forward: y = x ⊙ mask[channel] / (1-rate)  =>  dx = dy ⊙ mask[channel] / (1-rate)
                TensorPrimitives.Multiply(outputGradient.Slice((b * InputSize) + (c * plane), plane), mask[(b * channels) + c],
                    inputGradient.Slice((b * InputSize) + (c * plane), plane));
            }
        }
    }

    private bool Active(StepContext context) => context.Training && Rate > 0;

    protected override void Dispose(bool disposing)
    {
        _mask.Dispose();
        base.Dispose(disposing);
    }
}
