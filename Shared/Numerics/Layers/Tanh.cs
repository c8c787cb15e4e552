using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>Hyperbolic tangent, element-wise.</summary>
public sealed class Tanh : Layer
{
    /// <param name="name">Layer name.</param>
    /// <param name="size">Features in and out.</param>
    public Tanh(string name, int size)
        : base(name, size)
    {
    }

    public override int OutputSize => InputSize;

    // input (B, F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int length = batch * InputSize;
        // forward: y = tanh(x)
        TensorPrimitives.Tanh(input[..length], output[..length]);
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
        ReadOnlySpan<float> y = output[..length];
        Span<float> dx = inputGradient[..length];
        // forward: y = tanh(x)  =>  dx = dy ⊙ (1 - y²)
        TensorPrimitives.Multiply(y, y, dx);
        TensorPrimitives.Subtract(1f, dx, dx);
        TensorPrimitives.Multiply(dx, outputGradient[..length], dx);
    }
}
