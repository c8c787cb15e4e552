namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Ends the image part of a network: each row's image (C, H, W) becomes a plain feature vector in the same order,
/// PyTorch's Flatten. The values pass through unchanged; only the shape the next layer sees changes.
/// </summary>
public sealed class Flatten : Layer
{
    /// <param name="name">Layer name.</param>
    /// <param name="size">Features in and out.</param>
    public Flatten(string name, int size)
        : base(name, size)
    {
    }

    public override int OutputSize => InputSize;

    // input (B, C, H, W) -> output (B, C·H·W)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch) =>
        input[..(batch * InputSize)].CopyTo(output);

    // outputGradient (B, C·H·W) -> inputGradient (B, C, H, W)
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
