using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Row-wise softmax y_i = e^(x_i - max) / Σ_j e^(x_j - max); subtracting the row maximum keeps e^x finite for
/// any input. Pair a plain output layer with a fused softmax-cross-entropy loss instead where one exists.
/// </summary>
public sealed class Softmax : Layer
{
    /// <param name="name">Layer name.</param>
    /// <param name="size">Features (classes) in and out.</param>
    public Softmax(string name, int size)
        : base(name, size)
    {
    }

    public override int OutputSize => InputSize;

    // input (B, C) -> output (B, C)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<float> x = input.Slice(row * InputSize, InputSize);
            Span<float> y = output.Slice(row * InputSize, InputSize);
            // forward: y = exp(x - max x) / sum(exp(x - max x))
            TensorPrimitives.Subtract(x, TensorPrimitives.Max(x), y);
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
        }
    }

    // outputGradient (B, C) -> inputGradient (B, C)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }
        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<float> y = output.Slice(row * InputSize, InputSize);
            ReadOnlySpan<float> dy = outputGradient.Slice(row * InputSize, InputSize);
            Span<float> dx = inputGradient.Slice(row * InputSize, InputSize);
            // forward: y = softmax(x)  =>  dx = y ⊙ (dy - <dy, y>)
            TensorPrimitives.Subtract(dy, TensorPrimitives.Dot(dy, y), dx);
            TensorPrimitives.Multiply(dx, y, dx);
        }
    }
}
