using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>Logistic sigmoid y = 1 / (1 + e^-x), element-wise.</summary>
public sealed class Sigmoid : Layer
{
    /// <param name="name">Layer name.</param>
    /// <param name="size">Features in and out.</param>
    public Sigmoid(string name, int size)
        : base(name, size)
    {
    }

    public override int OutputSize => InputSize;

    // input (B, F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int length = batch * InputSize;
        // forward: y = sigmoid(x)
        TensorPrimitives.Sigmoid(input[..length], output[..length]);
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
        // forward: y = sigmoid(x)  =>  dx = dy ⊙ y ⊙ (1 - y)
        TensorPrimitives.Subtract(1f, y, dx);
        TensorPrimitives.Multiply(dx, y, dx);
        TensorPrimitives.Multiply(dx, outputGradient[..length], dx);
    }
}
