namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// States that each input row is an image of <see cref="OutputShape"/> (a 784-feature row becomes 1x28x28), so
/// image layers can follow. Rows are already laid out channel first, so the values pass through unchanged.
/// </summary>
public sealed class Reshape : Layer, IImageLayer
{
    /// <param name="name">Layer name.</param>
    /// <param name="size">Features in and out; must equal the shape's C·H·W.</param>
    /// <param name="shape">The image each row holds.</param>
    public Reshape(string name, int size, ImageShape shape)
        : base(name, size)
    {
        shape.Validate(name);
        if (shape.Size != size)
        {
            throw new ArgumentException(
                $"Invalid shape for reshape layer '{name}': {shape} holds {shape.Size} features but the input has {size}.",
                nameof(shape));
        }
        OutputShape = shape;
    }

    /// <inheritdoc/>
    public ImageShape OutputShape { get; }

    public override int OutputSize => InputSize;

    // input (B, F) -> output (B, C, H, W), the same values
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch) =>
        input[..(batch * InputSize)].CopyTo(output);

    // outputGradient (B, C, H, W) -> inputGradient (B, F)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        // forward: y = x  =>  dx = dy
        if (!inputGradient.IsEmpty)
        {
            outputGradient[..(batch * InputSize)].CopyTo(inputGradient);
        }
    }
}
